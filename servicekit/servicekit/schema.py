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
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


def problem_response(description: str) -> OpenApiResponse:
    """An error response in the schema; ``description`` names its ``code`` values."""
    return OpenApiResponse(ProblemSerializer, description=description)
