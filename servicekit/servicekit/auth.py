"""Bearer-token auth: each configured token grants one role.

``settings.API_TOKENS`` maps a role name to its token, e.g.
``{"admin": "...", "service": "..."}``. Missing or wrong token: 401
``not_authenticated``; a valid token without the right role: 403
``permission_denied``.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from django.conf import settings
from rest_framework import authentication, exceptions, permissions


@dataclass(frozen=True)
class TokenPrincipal:
    role: str
    is_authenticated: bool = True

    def __str__(self) -> str:
        return f"token:{self.role}"


def bearer_token(header: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; None if it is not one."""
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def token_role(token: str) -> str | None:
    """The role ``token`` grants (compared in constant time); None if it grants none."""
    for role, expected in settings.API_TOKENS.items():
        if expected and hmac.compare_digest(token.encode(), expected.encode()):
            return role
    return None


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        token = bearer_token(header)
        if token is None:
            raise exceptions.AuthenticationFailed("Use 'Authorization: Bearer <token>'.")
        role = token_role(token)
        if role is None:
            raise exceptions.AuthenticationFailed("The token is not valid.")
        return TokenPrincipal(role=role), token

    def authenticate_header(self, request) -> str:
        return self.keyword


def roles_allowed(*roles: str) -> type[permissions.BasePermission]:
    """A permission class admitting principals with one of ``roles``."""

    class _HasRole(permissions.BasePermission):
        message = f"This needs a token with one of the roles: {', '.join(roles)}."

        def has_permission(self, request, view) -> bool:
            principal = request.user
            if not isinstance(principal, TokenPrincipal):
                raise exceptions.NotAuthenticated("An 'Authorization: Bearer <token>' is required.")
            return principal.role in roles

    _HasRole.__name__ = "HasRole_" + "_".join(roles)
    return _HasRole


try:  # drf-spectacular describes the scheme in /api/schema/
    from drf_spectacular.extensions import OpenApiAuthenticationExtension

    class BearerTokenScheme(OpenApiAuthenticationExtension):
        target_class = BearerTokenAuthentication
        name = "bearerAuth"

        def get_security_definition(self, auto_schema):
            return {"type": "http", "scheme": "bearer"}
except ImportError:  # pragma: no cover - drf-spectacular is a dependency
    pass
