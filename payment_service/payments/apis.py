"""HTTP API of payment_service: validate, call one service or selector, serialize."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from payments import examples
from payments.selectors import payment_get, payment_list
from payments.serializers import (
    IDEMPOTENCY_HEADER,
    PaymentCreateIn,
    PaymentListQueryIn,
    PaymentOut,
    idempotency_key_from,
    render_payment,
)
from payments.services import payment_create
from servicekit.auth import roles_allowed
from servicekit.schema import NOT_AUTHENTICATED, error_doc

REPLAYED_HEADER = "Idempotent-Replayed"


class PaymentListCreateApi(GenericAPIView):
    permission_classes = [roles_allowed("service")]
    serializer_class = PaymentOut

    @extend_schema(
        operation_id="payments_create",
        summary="Take a payment (idempotent per Idempotency-Key)",
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
                OpenApiParameter.HEADER,
                required=True,
                description="1 to 255 visible ASCII characters. The same key and body replay the "
                "original response byte for byte, with `Idempotent-Replayed: true`.",
                examples=[examples.KEY],
            )
        ],
        description="An amount strictly below `PAYMENT_APPROVAL_LIMIT` (default 20.00) "
        "succeeds; any other is `declined` with `decline_code: insufficient_funds`, a created "
        "payment (201), not an error. A retry with the same key and body never charges twice.",
        request=PaymentCreateIn,
        examples=examples.CREATE,
        responses={
            (201, "application/json"): OpenApiResponse(
                PaymentOut,
                description="The payment, `succeeded` or `declined` (a decline is not an error). "
                "Also the replay of an earlier identical request.",
            ),
            400: error_doc("idempotency_key_missing, validation_error or malformed_request."),
            401: error_doc(NOT_AUTHENTICATED),
            409: error_doc("idempotency_key_in_use: a request with this key is still in flight."),
            422: error_doc("idempotency_key_reused: the key was used with a different body."),
        },
    )
    def post(self, request):
        key = idempotency_key_from(request.headers)
        serializer = PaymentCreateIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        stored = payment_create(
            caller=request.user.role,
            idempotency_key=key,
            **serializer.validated_data,
            render=render_payment,
        )
        # The stored bytes as they are: a replay must equal the original byte for byte.
        response = HttpResponse(stored.body, status=stored.status, content_type="application/json")
        if stored.replayed:
            response[REPLAYED_HEADER] = "true"
        return response

    @extend_schema(
        operation_id="payments_list",
        summary="List payments, newest first",
        parameters=[
            OpenApiParameter(
                "reference",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                description="Only payments with exactly this reference, e.g. `cart:<id>`.",
                examples=[examples.REFERENCE_EXAMPLE],
            )
        ],
        examples=[examples.A_PAYMENT],
        responses={
            (200, "application/json"): OpenApiResponse(
                PaymentOut(many=True), description="A page of payments, newest first."
            ),
            400: error_doc("validation_error: bad query parameter."),
            401: error_doc(NOT_AUTHENTICATED),
        },
    )
    def get(self, request):
        # A plain dict: DRF would read a blank "?reference=" from a QueryDict as absent.
        filters = PaymentListQueryIn(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(payment_list(**filters.validated_data))
        return self.get_paginated_response(PaymentOut(page, many=True).data)


class PaymentDetailApi(APIView):
    permission_classes = [roles_allowed("service")]

    @extend_schema(
        operation_id="payments_retrieve",
        summary="Get a payment",
        parameters=[
            OpenApiParameter(
                "payment_id",
                OpenApiTypes.UUID,
                OpenApiParameter.PATH,
                examples=[examples.PAYMENT_ID_EXAMPLE],
            )
        ],
        examples=[examples.A_PAYMENT],
        responses={
            (200, "application/json"): OpenApiResponse(PaymentOut, description="The payment."),
            401: error_doc(NOT_AUTHENTICATED),
            404: error_doc("payment_not_found."),
        },
    )
    def get(self, request, payment_id: str):
        return Response(PaymentOut(payment_get(payment_id=payment_id)).data)
