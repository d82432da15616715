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
    EligibilityIn,
    IssuedBatchOut,
    IssuedCodeListQueryIn,
    IssuedCodeOut,
    IssuedCodesCreateIn,
    RedemptionCreateIn,
    RedemptionOut,
)
from servicekit.auth import TokenPrincipal, roles_allowed
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
    description="The discount code, case-insensitive (`save10` finds `SAVE10`), or one of the "
    "codes a promotion issued. A single-use promotion's own code names it to admins only.",
    examples=[OpenApiExample("SAVE10", value="SAVE10")],
)
PROMOTION_CODE_PARAM = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The promotion's own code, case-insensitive (an issued code names no "
    "promotion here).",
    examples=[OpenApiExample("NEWSLETTER", value="NEWSLETTER")],
)
REFUSED = (
    "discount_expired / discount_not_started / discount_inactive / discount_exhausted / "
    "discount_code_used (an issued code another cart holds) / discount_currency_mismatch / "
    "discount_minimum_not_met (with minimum_subtotal, currency, missing) / "
    "discount_minimum_items_not_met (with minimum_items, missing_items) / "
    "discount_not_applicable (no line of the discount's skus, named in skus)"
)


class IssuedCodePagination(PageNumberPagination):
    """Pages of up to 1,000 issued codes: a batch of 10,000 is ten pages (the export)."""

    max_page_size = 1_000


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
            # As to the service token: a single-use promotion's own code, which admins may
            # read, is left to DRF, which knows the role.
            return DiscountOut().to_representation(selectors.code_get(code=code))
        except DiscountNotFound:
            return None

    def get_permissions(self):
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [AdminOrService()]
        return [AdminOnly()]

    @extend_schema(
        operation_id="discounts_retrieve",
        summary="Get a discount by code (admin or service)",
        description="A discount by its own code or by one of the codes a promotion issued "
        "(its terms under that code; `exhausted` once a cart holds it).",
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
        user = request.user
        admin = isinstance(user, TokenPrincipal) and user.role == "admin"
        return Response(DiscountOut(selectors.code_get(code=code, admin=admin)).data)

    @extend_schema(
        operation_id="discounts_partial_update",
        summary="Change a discount (admin)",
        parameters=[PROMOTION_CODE_PARAM],
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
        "sending any other field of a discount (its rules too) is a validation_error naming it.",
    )
    def patch(self, request: Request, code: str) -> Response:
        body = DiscountUpdateIn(data=request.data)
        body.is_valid(raise_exception=True)
        discount = services.discount_update(code=code, changes=body.validated_data)
        return Response(DiscountOut(discount).data)


class EligibilityApi(APIView):
    permission_classes = [ServiceOnly]

    @extend_schema(
        operation_id="discounts_eligibility",
        summary="Check a code against a cart (service; holds nothing)",
        description="The checks, in order: the discount's status (and an issued code's own "
        "use), the currency, `minimum_subtotal`, `minimum_items`, `skus`; the first that fails "
        "is the answer. Nothing is held: the redemption checks again at checkout.",
        parameters=[CODE_PARAM],
        request=EligibilityIn,
        examples=examples.ELIGIBILITY,
        responses={
            200: OpenApiResponse(DiscountOut, description="The discount, as the cart may have it."),
            400: error_doc(INVALID_INPUT),
            401: error_doc(NOT_AUTHENTICATED),
            403: error_doc(PERMISSION_DENIED),
            404: error_doc("discount_not_found"),
            422: error_doc(REFUSED),
        },
    )
    def post(self, request: Request, code: str) -> Response:
        body = EligibilityIn(data=request.data)
        body.is_valid(raise_exception=True)
        discount = selectors.code_check(code=code, cart=body.validated_data["cart"])
        return Response(DiscountOut(discount).data)


class IssuedCodesApi(generics.GenericAPIView):
    permission_classes = [AdminOnly]
    pagination_class = IssuedCodePagination
    serializer_class = IssuedCodeOut

    @extend_schema(
        operation_id="issued_codes_list",
        summary="List a promotion's issued codes, in the order they were made (admin)",
        description="The export of a batch: pages of up to 1,000 (`page_size`), filtered by "
        "`status`. A discount that issues no codes has an empty list.",
        parameters=[PROMOTION_CODE_PARAM, IssuedCodeListQueryIn],
        responses={
            200: OpenApiResponse(IssuedCodeOut(many=True), description="A page of codes."),
            400: error_doc(INVALID_INPUT),
            401: error_doc(NOT_AUTHENTICATED),
            403: error_doc(PERMISSION_DENIED),
            404: error_doc("discount_not_found"),
        },
        examples=examples.ISSUED_CODES,
    )
    def get(self, request: Request, code: str) -> Response:
        query = IssuedCodeListQueryIn(data=request.query_params)
        query.is_valid(raise_exception=True)
        status_filter = query.validated_data.get("status")
        codes = selectors.issued_code_list(
            discount=selectors.discount_get(code=code),
            used=None if status_filter is None else status_filter == "used",
        )
        page = self.paginate_queryset(codes)
        return self.get_paginated_response(IssuedCodeOut(page, many=True).data)

    @extend_schema(
        operation_id="issued_codes_create",
        summary="Issue a batch of single-use codes (admin)",
        description="`count` codes (1-10,000), each the `prefix` and 12 characters of "
        "Crockford's base 32 drawn by `secrets` (60 bits), in one transaction: all or none.",
        parameters=[PROMOTION_CODE_PARAM],
        request=IssuedCodesCreateIn,
        examples=examples.ISSUE,
        responses={
            201: OpenApiResponse(IssuedBatchOut, description="The codes made."),
            400: error_doc(INVALID_INPUT),
            401: error_doc(NOT_AUTHENTICATED),
            403: error_doc(PERMISSION_DENIED),
            404: error_doc("discount_not_found"),
            409: error_doc("discount_not_single_use: its own code is redeemable"),
        },
    )
    def post(self, request: Request, code: str) -> Response:
        body = IssuedCodesCreateIn(data=request.data)
        body.is_valid(raise_exception=True)
        batch = services.issued_codes_create(code=code, **body.validated_data)
        return Response(IssuedBatchOut(batch).data, status=status.HTTP_201_CREATED)


class RedemptionCreateApi(APIView):
    permission_classes = [ServiceOnly]

    @extend_schema(
        operation_id="redemptions_create",
        summary="Redeem a code for a cart (service; idempotent per cart)",
        description="Takes one use of the code for the cart, checking the discount's rules "
        "against `cart` (required for a discount with rules). Under any concurrency the uses "
        "never exceed `max_redemptions` (a promotion's: across all its codes) and an issued "
        "code is held by one cart; the same cart again gets its redemption back (200), and a "
        "cart holding another code of the promotion moves its use to this one (201).",
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
            422: error_doc(f"{REFUSED} / discount_cart_required (rules and no cart)"),
        },
    )
    def post(self, request: Request, code: str) -> Response:
        body = RedemptionCreateIn(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.discount_redeem(
            code=code,
            cart_id=body.validated_data["cart_id"],
            cart=body.validated_data.get("cart"),
        )
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
                description="Released (the use taken through this code), or nothing was held "
                "(also for an unknown code)."
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
