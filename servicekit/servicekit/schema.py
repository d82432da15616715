"""OpenAPI pieces every service's schema uses: the problem+json body of every error."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, as every error is answered."""

    type = serializers.URLField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField()
    # Documentation only, never validated: the field shadows Serializer.errors.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


def error_doc(codes: str) -> OpenApiResponse:
    """One error response in the schema: a problem+json body; ``codes`` names the ``code``
    values it can carry (and when). Every service documents its errors this way:
    ``responses={200: ..., 404: error_doc("cart_not_found"), 401: error_doc(NOT_AUTHENTICATED)}``.
    """
    return OpenApiResponse(ProblemSerializer, description=codes)


# The errors most operations share.
INVALID_INPUT = "validation_error (a field is wrong; see errors) / malformed_request"
NOT_AUTHENTICATED = "not_authenticated: the token is missing or wrong"
PERMISSION_DENIED = "permission_denied: the token's role may not do this"
