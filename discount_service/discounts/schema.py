"""OpenAPI: describe servicekit's bearer-token auth (imported by the app config).

It could live in servicekit; kept here so the shared kit stays untouched.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "servicekit.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}
