"""HTTP API of payment_service: validate, call one service or selector, serialize."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from payments import examples
from payments.errors import PaymentNotFound
from payments.selectors import payment_get, payment_list, refund_get, refund_list
from payments.serializers import (
    IDEMPOTENCY_HEADER,
    PaymentCreateIn,
    PaymentListQueryIn,
    PaymentOut,
    RefundCreateIn,
    RefundOut,
    idempotency_key_from,
    render_payment,
    render_refund,
)
from payments.services import payment_create, refund_create
from servicekit.auth import roles_allowed
from servicekit.drf import PageNumberPagination
from servicekit.ids import parse_uuid
from servicekit.schema import NOT_AUTHENTICATED, PERMISSION_DENIED, error_doc

REPLAYED_HEADER = "Idempotent-Replayed"


# Who may do what: cart_service's token moves money; the ledger's reads payments and refunds.
MOVES_MONEY = roles_allowed("service")
READS = roles_allowed("service", "ledger")
FORBIDDEN = error_doc(PERMISSION_DENIED + " (the ledger's token reads, it never moves money)")


class _ReadsOrMovesMoney:
    """GET for the readers; POST for the role that moves money."""

    def get_permissions(self):
        request = getattr(self, "request", None)  # None while drf-spectacular inspects us
        moving = request is not None and request.method == "POST"
        return [MOVES_MONEY() if moving else READS()]


class PaymentListCreateApi(_ReadsOrMovesMoney, GenericAPIView):
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
            403: FORBIDDEN,
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
        return _stored(stored)

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
    permission_classes = [READS]

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


def _stored(stored) -> HttpResponse:
    """The stored bytes as they are: a replay must equal the original byte for byte."""
    response = HttpResponse(stored.body, status=stored.status, content_type="application/json")
    if stored.replayed:
        response[REPLAYED_HEADER] = "true"
    return response


PAYMENT_PATH = OpenApiParameter(
    "payment_id", OpenApiTypes.UUID, OpenApiParameter.PATH, examples=[examples.PAYMENT_ID_EXAMPLE]
)


class RefundListCreateApi(_ReadsOrMovesMoney, GenericAPIView):
    serializer_class = RefundOut
    pagination_class = PageNumberPagination

    @extend_schema(
        operation_id="refunds_create",
        summary="Refund a payment, in full or in part (idempotent per Idempotency-Key)",
        description="Gives back `amount` (left out: all that is left) of a succeeded payment, "
        "in its currency, never more than what is left: two refunds racing for the last of "
        "it get one refund and one 422. A refund of exactly `PAYMENT_REFUND_FAILING_AMOUNT` "
        "(default 13.13) is declined by the stand-in processor: created, `status: failed`, "
        "`failure_code: refund_declined`, nothing given back. The same key and body replay "
        "the original refund, byte for byte, with `Idempotent-Replayed: true`.",
        parameters=[
            PAYMENT_PATH,
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
                OpenApiParameter.HEADER,
                required=True,
                description="1 to 255 visible ASCII characters, the caller's own.",
                examples=[examples.REFUND_KEY],
            ),
        ],
        request=RefundCreateIn,
        examples=examples.REFUND_CREATE,
        responses={
            (201, "application/json"): OpenApiResponse(
                RefundOut,
                description="The refund, `succeeded` or `failed` (a declined refund is not an "
                "error). Also the replay of an earlier identical request.",
            ),
            400: error_doc("idempotency_key_missing, validation_error or malformed_request."),
            401: error_doc(NOT_AUTHENTICATED),
            403: FORBIDDEN,
            404: error_doc("payment_not_found."),
            409: error_doc("idempotency_key_in_use: a request with this key is still in flight."),
            422: error_doc(
                "refund_exceeds_remaining (more than what is left, or nothing is left), "
                "payment_not_refundable (a declined payment), refund_currency_mismatch, "
                "idempotency_key_reused."
            ),
        },
    )
    def post(self, request, payment_id: str):
        pk = parse_uuid(payment_id)
        if pk is None:
            raise PaymentNotFound()
        key = idempotency_key_from(request.headers)
        body = RefundCreateIn(data=request.data)
        body.is_valid(raise_exception=True)
        stored = refund_create(
            caller=request.user.role,
            idempotency_key=key,
            payment_id=pk,
            amount=body.validated_data.get("amount"),
            currency=body.validated_data.get("currency"),
            reason=body.validated_data["reason"],
            render=render_refund,
        )
        return _stored(stored)

    @extend_schema(
        operation_id="refunds_list",
        summary="List a payment's refunds, oldest first",
        parameters=[PAYMENT_PATH],
        examples=[examples.A_REFUND_LISTED],
        responses={
            (200, "application/json"): OpenApiResponse(
                RefundOut(many=True), description="A page of the payment's refunds."
            ),
            400: error_doc("validation_error: bad page."),
            401: error_doc(NOT_AUTHENTICATED),
            404: error_doc("payment_not_found."),
        },
    )
    def get(self, request, payment_id: str):
        payment = payment_get(payment_id=payment_id)
        page = self.paginate_queryset(refund_list(payment=payment))
        return self.get_paginated_response(RefundOut(page, many=True).data)


class RefundDetailApi(APIView):
    permission_classes = [READS]

    @extend_schema(
        operation_id="refunds_retrieve",
        summary="Get a refund of a payment",
        parameters=[
            PAYMENT_PATH,
            OpenApiParameter("refund_id", OpenApiTypes.UUID, OpenApiParameter.PATH),
        ],
        examples=[examples.A_REFUND],
        responses={
            (200, "application/json"): OpenApiResponse(RefundOut, description="The refund."),
            401: error_doc(NOT_AUTHENTICATED),
            404: error_doc("payment_not_found, refund_not_found."),
        },
    )
    def get(self, request, payment_id: str, refund_id: str):
        payment = payment_get(payment_id=payment_id)
        return Response(RefundOut(refund_get(payment=payment, refund_id=refund_id)).data)
