"""drf-spectacular: describe servicekit's bearer-token auth (imported by the app config).

It belongs in servicekit.auth, beside the class it describes; it lives here until the
shared kit has it (a duplicate registration there would be harmless).
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "servicekit.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}
