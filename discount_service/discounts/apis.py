"""HTTP endpoints: validate the input, call one service or selector, serialize the result."""

from __future__ import annotations

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from discounts import examples, selectors, services
from discounts.errors import DiscountNotFound
from discounts.serializers import (
    DiscountCreateIn,
    DiscountListQueryIn,
    DiscountOut,
    DiscountUpdateIn,
    RedemptionCreateIn,
    RedemptionOut,
)
from servicekit.auth import roles_allowed
from servicekit.drf import PageNumberPagination
from servicekit.errors import NotFound
from servicekit.ids import parse_uuid
from servicekit.perf.drf import LeanGetMixin
from servicekit.schema import INVALID_INPUT, NOT_AUTHENTICATED, PERMISSION_DENIED, error_doc

AdminOnly = roles_allowed("admin")
AdminOrService = roles_allowed("admin", "service")
ServiceOnly = roles_allowed("service")


CODE_PARAM = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The discount code, case-insensitive (`save10` finds `SAVE10`).",
    examples=[OpenApiExample("SAVE10", value="SAVE10")],
)
CART_ID_PARAM = OpenApiParameter(
    "cart_id",
    OpenApiTypes.UUID,
    OpenApiParameter.PATH,
    description="The cart that holds the redemption.",
    examples=[OpenApiExample("A cart", value=examples.CART_ID)],
)


class DiscountListCreateApi(generics.GenericAPIView):
    permission_classes = [AdminOnly]
    pagination_class = PageNumberPagination
    serializer_class = DiscountOut

    @extend_schema(
        operation_id="discounts_list",
        summary="List discounts, newest first (admin)",
        description="Filter by `is_active` and by a code prefix (`search`); pages of 20 by default.",
        parameters=[DiscountListQueryIn],
        responses={
            200: OpenApiResponse(DiscountOut(many=True), description="A page of discounts."),
            400: error_doc(INVALID_INPUT),
            401: error_doc(NOT_AUTHENTICATED),
            403: error_doc(PERMISSION_DENIED),
        },
        examples=[examples.A_DISCOUNT],
    )
    def get(self, request: Request) -> Response:
        query = DiscountListQueryIn(data=request.query_params)
        query.is_valid(raise_exception=True)
        discounts = selectors.discount_list(
            is_active=query.validated_data.get("is_active"),
            search=query.validated_data.get("search", ""),
        )
        page = self.paginate_queryset(discounts)
        return self.get_paginated_response(DiscountOut(page, many=True).data)

    @extend_schema(
        operation_id="discounts_create",
        summary="Create a discount code (admin)",
        description="A `percent` discount (0 < value ≤ 100, no currency) or a `fixed` one "
        "(value > 0 in `currency`). The code is trimmed and upper-cased.",
        request=DiscountCreateIn,
        examples=examples.CREATE,
        responses={
            201: OpenApiResponse(DiscountOut, description="The new discount."),
            400: error_doc(INVALID_INPUT),
            401: error_doc(NOT_AUTHENTICATED),
            403: error_doc(PERMISSION_DENIED),
            409: error_doc("discount_code_taken"),
        },
    )
    def post(self, request: Request) -> Response:
        body = DiscountCreateIn(data=request.data)
        body.is_valid(raise_exception=True)
        discount = services.discount_create(**body.validated_data)
        return Response(DiscountOut(discount).data, status=status.HTTP_201_CREATED)


class DiscountDetailApi(LeanGetMixin, APIView):
    # The hot read: cart_service asks for the code on every apply.
    lean_roles = ("admin", "service")

    def lean_get(self, code: str) -> dict | None:
        try:
            return DiscountOut().to_representation(selectors.discount_get(code=code))
        except DiscountNotFound:
            return None

    def get_permissions(self):
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [AdminOrService()]
        return [AdminOnly()]

    @extend_schema(
        operation_id="discounts_retrieve",
        summary="Get a discount by code (admin or service)",
        description="cart_service reads a code here before it applies it to a cart.",
        parameters=[CODE_PARAM],
        responses={
            200: OpenApiResponse(DiscountOut, description="The discount, with its status."),
            401: error_doc(NOT_AUTHENTICATED),
            403: error_doc(PERMISSION_DENIED),
            404: error_doc("discount_not_found"),
        },
        examples=[examples.A_DISCOUNT],
    )
    def get(self, request: Request, code: str) -> Response:
        return Response(DiscountOut(selectors.discount_get(code=code)).data)

    @extend_schema(
        operation_id="discounts_partial_update",
        summary="Change a discount (admin)",
        parameters=[CODE_PARAM],
        request=DiscountUpdateIn,
        examples=examples.UPDATE,
        responses={
            200: OpenApiResponse(DiscountOut, description="The changed discount."),
            400: error_doc(INVALID_INPUT),
            401: error_doc(NOT_AUTHENTICATED),
            403: error_doc(PERMISSION_DENIED),
            404: error_doc("discount_not_found"),
        },
        description="Only description, ends_at, max_redemptions and is_active can change; "
        "sending any other field of a discount is a validation_error naming it.",
    )
    def patch(self, request: Request, code: str) -> Response:
        body = DiscountUpdateIn(data=request.data)
        body.is_valid(raise_exception=True)
        discount = services.discount_update(code=code, changes=body.validated_data)
        return Response(DiscountOut(discount).data)


class RedemptionCreateApi(APIView):
    permission_classes = [ServiceOnly]

    @extend_schema(
        operation_id="redemptions_create",
        summary="Redeem a code for a cart (service; idempotent per cart)",
        description="Takes one use of the code for the cart. Under any concurrency the uses "
        "never exceed `max_redemptions`; the same cart again gets its redemption back (200).",
        parameters=[CODE_PARAM],
        request=RedemptionCreateIn,
        examples=examples.REDEEM,
        responses={
            201: OpenApiResponse(RedemptionOut, description="Redeemed for this cart."),
            200: OpenApiResponse(
                RedemptionOut, description="This cart already held the redemption."
            ),
            400: error_doc(INVALID_INPUT),
            401: error_doc(NOT_AUTHENTICATED),
            403: error_doc(PERMISSION_DENIED),
            404: error_doc("discount_not_found"),
            422: error_doc(
                "discount_expired / discount_not_started / discount_inactive / discount_exhausted"
            ),
        },
    )
    def post(self, request: Request, code: str) -> Response:
        body = RedemptionCreateIn(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.discount_redeem(code=code, cart_id=body.validated_data["cart_id"])
        return Response(
            RedemptionOut(result.redemption).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class RedemptionDetailApi(APIView):
    permission_classes = [ServiceOnly]

    @extend_schema(
        operation_id="redemptions_destroy",
        summary="Give a cart's use of a code back (service; idempotent)",
        parameters=[CODE_PARAM, CART_ID_PARAM],
        responses={
            204: OpenApiResponse(
                description="Released, or nothing was held (also for an unknown code)."
            ),
            401: error_doc(NOT_AUTHENTICATED),
            403: error_doc(PERMISSION_DENIED),
            404: error_doc("not_found: cart_id is not a UUID"),
        },
    )
    def delete(self, request: Request, code: str, cart_id: str) -> Response:
        services.discount_release(code=code, cart_id=_path_uuid(cart_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _path_uuid(value: str) -> uuid.UUID:
    cart_id = parse_uuid(value)
    if cart_id is None:
        raise NotFound(f"No redemption for cart {value!r}: cart ids are UUIDs.")
    return cart_id
