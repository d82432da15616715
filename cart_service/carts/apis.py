"""Thin views: validate, call one service, serialize. Errors are raised, never built here."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from carts import checkout, examples, refunds, selectors, services
from carts.clients import catalog, discount, payment
from carts.errors import PaymentRefused, PricesChanged
from carts.metrics import checkout_counted
from carts.serializers import (
    CancelIn,
    CartCreateIn,
    CartOut,
    CartRefundOut,
    DiscountIn,
    ItemIn,
    QuantityIn,
    RefundIn,
)
from carts.throttle import (
    CartCreateThrottle,
    CheckoutAttemptThrottle,
    CodeAttemptsThrottled,
    checkout_charged_nothing,
)
from servicekit.auth import BearerTokenAuthentication, roles_allowed
from servicekit.drf import PageNumberPagination
from servicekit.schema import INVALID_INPUT, NOT_AUTHENTICATED, PERMISSION_DENIED, error_doc

NOT_FOUND = error_doc("cart_not_found")
NOT_EDITABLE = error_doc("cart_not_editable (paid, or a checkout is being settled)")
INVALID = error_doc(INVALID_INPUT)


def _cart(description: str) -> OpenApiResponse:
    return OpenApiResponse(CartOut, description=description)


PRICE_CHANGED = error_doc(
    "price_changed: the catalog's price of an item is not the unit_price sent (the problem "
    "names sku and the current unit_price); nothing created"
)
PRODUCT_REFUSED = error_doc(
    "product_not_found, product_inactive, product_not_sold_in_currency: the catalog cannot "
    "sell the item in the cart's currency (the problem names its sku); nothing changed"
)
CATALOG_UNAVAILABLE = error_doc("catalog_service_unavailable: nothing changed")
DISCOUNT_REFUSED = error_doc(
    "discount_not_found (also for a code that has not started), discount_expired, "
    "discount_inactive, discount_exhausted, discount_currency_mismatch"
)


class PublicApi(APIView):
    """Anyone may call these; an Authorization header is ignored, not judged."""

    authentication_classes = ()
    permission_classes = ()


class CartListCreateApi(GenericAPIView):
    pagination_class = PageNumberPagination
    serializer_class = CartOut
    throttle_classes = [CartCreateThrottle]  # POST only: carts created per address

    def _creating(self) -> bool:
        request = getattr(self, "request", None)  # None while drf-spectacular inspects us
        return request is not None and request.method == "POST"

    def get_authenticators(self):
        # Listing needs the admin token; creating a cart is open to anyone.
        return [] if self._creating() else [BearerTokenAuthentication()]

    def get_permissions(self):
        return [] if self._creating() else [roles_allowed("admin")()]

    @extend_schema(
        operation_id="carts_list",
        summary="List carts, newest first (admin)",
        examples=[examples.LISTED],
        parameters=[
            OpenApiParameter("page", int, description="1-based page number"),
            OpenApiParameter("page_size", int, description="default 20, max 100"),
        ],
        responses={
            200: OpenApiResponse(CartOut(many=True), description="A page of carts."),
            401: error_doc(NOT_AUTHENTICATED),
            403: error_doc(PERMISSION_DENIED),
            400: INVALID,
        },
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.cart_list())
        return self.get_paginated_response(CartOut(page, many=True).data)

    @extend_schema(
        operation_id="carts_create",
        summary="Create a cart, empty or with items",
        auth=[],
        request=CartCreateIn,
        examples=examples.CREATE,
        responses={
            201: _cart("The new cart, pending, every line priced by catalog_service."),
            400: INVALID,
            409: PRICE_CHANGED,
            422: PRODUCT_REFUSED,
            503: CATALOG_UNAVAILABLE,
            429: error_doc("throttled: too many carts created from this address"),
        },
    )
    def post(self, request):
        data = _valid(CartCreateIn, request)
        cart = services.cart_create(
            currency=data["currency"],
            items=data.get("items"),
            catalog_client=catalog.from_settings(),
        )
        return Response(CartOut(cart).data, status=status.HTTP_201_CREATED)


class CartDetailApi(PublicApi):
    @extend_schema(
        operation_id="carts_retrieve",
        summary="Get a cart with its totals",
        auth=[],
        examples=[examples.A_CART],
        responses={200: _cart("The cart; totals are computed on every read."), 404: NOT_FOUND},
    )
    def get(self, request, cart_id: str):
        return Response(CartOut(selectors.cart_get(cart_id=cart_id)).data)


class CartItemsApi(PublicApi):
    @extend_schema(
        operation_id="carts_items_add",
        summary="Add an item, priced by the catalog (same sku: adds to its quantity)",
        description="The line's name and unit price are catalog_service's for the cart's "
        "currency; a `unit_price` sent is only the price the shopper saw (another one now: "
        "409 `price_changed` with the current `unit_price`, nothing added).",
        auth=[],
        request=ItemIn,
        examples=examples.ADD_ITEM,
        responses={
            201: _cart("The cart with the item."),
            400: INVALID,
            404: NOT_FOUND,
            409: error_doc(
                "cart_not_editable (paid, or a checkout is being settled); price_changed: the "
                "catalog's price is not the unit_price sent (the problem names sku and the "
                "current unit_price); nothing added"
            ),
            422: PRODUCT_REFUSED,
            503: CATALOG_UNAVAILABLE,
        },
    )
    def post(self, request, cart_id: str):
        data = _valid(ItemIn, request, cart_id=cart_id)
        cart = services.cart_item_add(
            cart_id=cart_id, **data, catalog_client=catalog.from_settings()
        )
        return Response(CartOut(cart).data, status=status.HTTP_201_CREATED)


class CartItemDetailApi(PublicApi):
    @extend_schema(
        operation_id="carts_items_update",
        summary="Change an item's quantity",
        auth=[],
        request=QuantityIn,
        examples=examples.UPDATE_ITEM,
        responses={
            200: _cart("The cart with the new quantity."),
            400: INVALID,
            404: error_doc("cart_not_found, item_not_found"),
            409: NOT_EDITABLE,
        },
    )
    def patch(self, request, cart_id: str, item_id: str):
        data = _valid(QuantityIn, request, cart_id=cart_id)
        cart = services.cart_item_update(cart_id=cart_id, item_id=item_id, **data)
        return Response(CartOut(cart).data)

    @extend_schema(
        operation_id="carts_items_remove",
        summary="Remove an item",
        auth=[],
        examples=[examples.REMOVE_ITEM],
        responses={
            200: _cart("The cart without the item."),
            404: error_doc("cart_not_found, item_not_found"),
            409: NOT_EDITABLE,
        },
    )
    def delete(self, request, cart_id: str, item_id: str):
        cart = services.cart_item_remove(cart_id=cart_id, item_id=item_id)
        return Response(CartOut(cart).data)


class CartDiscountApi(CodeAttemptsThrottled, PublicApi):
    @extend_schema(
        operation_id="carts_discount_apply",
        summary="Apply a discount code (replaces any other)",
        description="Asks discount_service whether the code applies now; the code is not "
        "redeemed until checkout. Refused codes are counted per address and per cart (429).",
        auth=[],
        request=DiscountIn,
        examples=examples.APPLY_DISCOUNT,
        responses={
            200: _cart("The cart with the discount and its new total."),
            400: INVALID,
            404: NOT_FOUND,
            409: NOT_EDITABLE,
            422: DISCOUNT_REFUSED,
            429: error_doc("throttled: too many refused codes from this address or for this cart"),
            503: error_doc("discount_service_unavailable"),
        },
    )
    def put(self, request, cart_id: str):
        data = _valid(DiscountIn, request, cart_id=cart_id)
        cart = services.cart_discount_apply(
            cart_id=cart_id, code=data["code"], discount_client=discount.from_settings()
        )
        return Response(CartOut(cart).data)

    @extend_schema(
        operation_id="carts_discount_remove",
        summary="Remove the discount",
        auth=[],
        examples=[examples.REMOVE_DISCOUNT],
        responses={
            200: _cart("The cart without a discount."),
            404: NOT_FOUND,
            409: NOT_EDITABLE,
        },
    )
    def delete(self, request, cart_id: str):
        cart = services.cart_discount_remove(
            cart_id=cart_id, discount_client=discount.from_settings()
        )
        return Response(CartOut(cart).data)


class CartCheckoutApi(PublicApi):
    throttle_classes = [CheckoutAttemptThrottle]

    @extend_schema(
        operation_id="carts_checkout",
        summary="Check out: redeem the discount and charge the total, never twice",
        description="Answers the cart `paid`, or `failed` when payment_service declined "
        "(check out again). On 503 the attempt is remembered: checking out again finishes that "
        "same attempt. A paid cart is answered unchanged and charged nothing.",
        auth=[],
        request=None,
        examples=examples.CHECKOUT,
        responses={
            200: _cart("The cart, paid or failed."),
            404: NOT_FOUND,
            409: error_doc(
                "payment_mismatch: payment_service recorded a payment of another amount or "
                "currency; the cart is held for an operator. cart_not_editable: the cart's "
                "discount kept changing during the checkout; nothing was charged, try again. "
                "prices_changed: the cart was priced longer than CART_PRICE_MAX_AGE ago and "
                "the catalog's prices moved; the cart was re-priced (the problem's `cart`, "
                "its `skus`) and nothing was charged: check out again to pay the new total"
            ),
            422: error_doc(
                "cart_empty; a discount code above when the redemption is refused; "
                "product_not_found, product_inactive, product_not_sold_in_currency (a line "
                "the catalog no longer sells, named by `sku`); nothing charged"
            ),
            429: error_doc(
                "throttled: too many checkouts that charged nothing (declined or refused) from "
                "this address or for this cart"
            ),
            502: error_doc(
                "payment_refused: payment_service refused the charge for good; nothing was "
                "charged, the cart is failed and may be checked out again"
            ),
            503: error_doc(
                "discount_service_unavailable, payment_service_unavailable; "
                "checkout again to finish the same attempt. catalog_service_unavailable: the "
                "prices could not be confirmed; nothing was charged. payment_being_confirmed: "
                "the charge succeeded but could not be recorded yet; checkout again to see the "
                "cart paid (nothing is charged again)"
            ),
        },
    )
    def post(self, request, cart_id: str):
        try:
            with checkout_counted() as counted:
                cart = counted(
                    checkout.cart_checkout(
                        cart_id=cart_id,
                        discount_client=discount.from_settings(),
                        payment_client=payment.from_settings(),
                        catalog_client=catalog.from_settings(),
                    )
                )
        except PricesChanged as changed:
            changed.extra["cart"] = CartOut(changed.cart).data  # what the shopper confirms
            raise
        except PaymentRefused:
            checkout_charged_nothing(request, cart_id)
            raise
        if cart.payment_status == "failed":  # declined: a charge attempt that took nothing
            checkout_charged_nothing(request, cart_id)
        return Response(CartOut(cart).data)


def _valid(serializer_class, request, *, cart_id: str | None = None) -> dict:
    """The validated body. For a cart's sub-resource an unknown cart is 404 even with a
    bad body; the existence check costs a query only when the body is bad."""
    serializer = serializer_class(data=request.data)
    if not serializer.is_valid():
        if cart_id is not None:
            selectors.cart_get(cart_id=cart_id)  # CartNotFound (404) comes first
        raise ValidationError(serializer.errors)
    return serializer.validated_data


# -- an operator's refunds --------------------------------------------------------------


class OperatorApi(APIView):
    """Only with the cart admin token (an operator, or the admin console)."""

    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [roles_allowed("admin")]


REFUND_ERRORS = {
    401: error_doc(NOT_AUTHENTICATED),
    403: error_doc(PERMISSION_DENIED),
    404: NOT_FOUND,
    502: error_doc(
        "refund_refused: payment_service refused the refund for good, or its processor "
        "declined it (the problem's `reason` is its code, e.g. refund_declined); nothing was "
        "given back"
    ),
    503: error_doc(
        "payment_service_unavailable: the refund's outcome is not known yet; it is pending, "
        "and the same request (or the reconciler) finishes it under the same key"
    ),
}


class CartCancelApi(OperatorApi):
    @extend_schema(
        operation_id="carts_cancel",
        summary="Cancel a paid cart: refund all of it and give its discount use back (operator)",
        description="Refunds all that is left of the cart's payment at payment_service, gives "
        "the use of its discount code back to discount_service, and answers the cart "
        "`cancelled`; a cancelled cart is never checked out again. Cancelling a cancelled "
        "cart answers it as it is and refunds nothing more.",
        request=CancelIn,
        examples=examples.CANCEL,
        responses={
            200: _cart("The cart, cancelled."),
            400: INVALID,
            **REFUND_ERRORS,
            409: error_doc(
                "cart_not_paid (pending or failed: nothing to refund); refund_in_progress "
                "(another refund of the cart is being settled)"
            ),
        },
    )
    def post(self, request, cart_id: str):
        data = _valid(CancelIn, request, cart_id=cart_id)
        cart = refunds.cart_cancel(
            cart_id=cart_id,
            reason=data["reason"],
            payment_client=payment.from_settings(),
            discount_client=discount.from_settings(),
        )
        return Response(CartOut(cart).data)


class CartRefundsApi(OperatorApi):
    pagination_class = PageNumberPagination

    @extend_schema(
        operation_id="carts_refunds_create",
        summary="Refund part of a paid cart (operator)",
        description="Gives `amount` back at payment_service, never more than what is left of "
        "the cart's payment; the cart stays paid and keeps the use of its discount code. "
        "With an `Idempotency-Key`, the same request again answers the same refund (200), "
        "finishing it if it was left pending.",
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="1 to 255 visible ASCII characters: the same key is the same refund.",
            )
        ],
        request=RefundIn,
        examples=examples.REFUND,
        responses={
            201: OpenApiResponse(CartRefundOut, description="The refund, succeeded."),
            200: OpenApiResponse(CartRefundOut, description="The same request again."),
            400: INVALID,
            **REFUND_ERRORS,
            409: error_doc(
                "cart_not_paid, cart_cancelled, refund_in_progress (another refund of the cart "
                "is being settled)"
            ),
            422: error_doc(
                "refund_exceeds_paid: more than what is left of the payment / "
                "idempotency_key_reused: the key was sent with another amount or reason"
            ),
        },
    )
    def post(self, request, cart_id: str):
        data = _valid(RefundIn, request, cart_id=cart_id)
        done = refunds.cart_refund(
            cart_id=cart_id,
            amount=data["amount"],
            reason=data["reason"],
            operator_key=operator_key(request),
            payment_client=payment.from_settings(),
            discount_client=discount.from_settings(),
        )
        return Response(
            CartRefundOut(done.refund).data,
            status=status.HTTP_201_CREATED if done.created else status.HTTP_200_OK,
        )

    @extend_schema(
        operation_id="carts_refunds_list",
        summary="A cart's refunds, in the order they were asked for (operator)",
        examples=[examples.REFUNDS_LISTED],
        responses={
            200: OpenApiResponse(CartRefundOut(many=True), description="A page of refunds."),
            400: INVALID,
            401: error_doc(NOT_AUTHENTICATED),
            403: error_doc(PERMISSION_DENIED),
            404: NOT_FOUND,
        },
    )
    def get(self, request, cart_id: str):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.cart_refunds(cart_id=cart_id), request, view=self
        )
        return paginator.get_paginated_response(CartRefundOut(page, many=True).data)


def operator_key(request) -> str:
    """The operator's Idempotency-Key ("" for none); a malformed one is 400."""
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if len(key) > 255 or (key and not key.isascii()) or any(c < " " for c in key):
        raise ValidationError({"Idempotency-Key": ["Use 1 to 255 visible ASCII characters."]})
    return key
