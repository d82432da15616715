"""Request validation and the cart's JSON representation."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from rest_framework import serializers

from carts.models import MAX_QUANTITY, Cart, CartItem, CartRefund
from servicekit.codes import normalise_code
from servicekit.fields import CurrencyField, MoneyField, StrictCharField, StrictIntegerField
from servicekit.perf.drf import FieldsOnceMixin, InputFieldsOnceMixin
from servicekit.skus import SKU_MAX_LENGTH, SKU_RULE, is_valid_sku, normalise_sku

# -- input ------------------------------------------------------------------------------


class QuantityIn(InputFieldsOnceMixin, serializers.Serializer):
    # A JSON integer: DRF's IntegerField would read "2", and int() reads any Unicode digits.
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)


class ItemIn(QuantityIn):
    # Normalised as the catalog keeps skus; one that cannot exist is 400.
    sku = StrictCharField(max_length=SKU_MAX_LENGTH + 16, trim_whitespace=False)
    # Optional: the price the shopper saw. The line's price is the catalog's; another one
    # now is 409 price_changed. (A "name" is ignored, as any unknown field: the catalog's.)
    unit_price = MoneyField(required=False)

    def validate_sku(self, value: str) -> str:
        sku = normalise_sku(value)
        if not is_valid_sku(sku):
            raise serializers.ValidationError(f"A sku is {SKU_RULE}")
        return sku


class CartCreateIn(InputFieldsOnceMixin, serializers.Serializer):
    currency = CurrencyField()
    items = ItemIn(many=True, required=False)

    def to_internal_value(self, data):
        # Refused before each item is validated: a huge list must cost nothing.
        items = data.get("items") if isinstance(data, dict) else None
        if isinstance(items, list) and len(items) > settings.CART_MAX_LINES:
            raise serializers.ValidationError(
                {"items": [f"A cart holds at most {settings.CART_MAX_LINES} lines."]}
            )
        return super().to_internal_value(data)


class DiscountIn(InputFieldsOnceMixin, serializers.Serializer):
    # normalise_code trims; DRF's trim would also drop Unicode spaces (U+00A0 ...).
    code = serializers.CharField(max_length=64, trim_whitespace=False)

    def validate_code(self, value: str) -> str:
        # The rule discount_service applies too: Unicode never turns into an ASCII code.
        return normalise_code(value)


# -- output -----------------------------------------------------------------------------


class CartItemOut(FieldsOnceMixin, serializers.ModelSerializer):
    unit_price = MoneyField()
    line_total = MoneyField()
    discounted = serializers.BooleanField(read_only=True)

    class Meta:
        model = CartItem
        fields = ["id", "sku", "name", "unit_price", "quantity", "line_total", "discounted"]


class DiscountOut(FieldsOnceMixin, serializers.Serializer):
    """The code applied to the cart, read from the cart's own columns; null without one."""

    code = serializers.CharField(source="discount_code")
    kind = serializers.ChoiceField(choices=["percent", "fixed"], source="discount_kind")
    value = MoneyField(source="discount_value")
    # The skus of a promotion for some products, sorted; null: the whole cart.
    skus = serializers.ListField(
        child=serializers.CharField(), source="discount_skus", allow_null=True
    )

    def to_representation(self, cart: Cart):
        return None if cart.discount is None else super().to_representation(cart)


class BlankAsNullCharField(serializers.CharField):
    """A text column that stores "" for none, written as null."""

    def to_representation(self, value):
        return str(value) if value else None


class PaymentOut(FieldsOnceMixin, serializers.Serializer):
    """The cart's last payment, read from the cart's own columns; null before any."""

    id = serializers.CharField(source="last_payment_id")
    status = serializers.CharField(source="last_payment_status")
    decline_code = BlankAsNullCharField(source="last_payment_decline_code", allow_null=True)

    def to_representation(self, cart: Cart):
        return super().to_representation(cart) if cart.last_payment_id else None


class CartView:
    """What the cart body reads: the cart, and its totals computed once for the body.

    (``Cart.totals`` is a method: read through four fields' sources it would be computed,
    and inspected by DRF as a callable, four times.)
    """

    def __init__(self, cart: Cart) -> None:
        self.cart = cart
        self.totals = cart.totals()

    def __getattr__(self, name: str):
        return getattr(self.cart, name)


class CartOut(FieldsOnceMixin, serializers.ModelSerializer):
    """The cart as docs/api.md shows it; totals come from carts.domain on every read."""

    items = CartItemOut(many=True, source="lines")
    items_number = serializers.IntegerField(source="totals.items_number")
    subtotal = MoneyField(source="totals.subtotal")
    discount = DiscountOut(source="*", allow_null=True)
    amount_discounted = MoneyField(source="totals.amount_discounted")
    total = MoneyField(source="totals.total")
    payment = PaymentOut(source="*", allow_null=True)
    amount_refunded = MoneyField()

    class Meta:
        model = Cart
        fields = [
            "id",
            "currency",
            "items",
            "items_number",
            "subtotal",
            "discount",
            "amount_discounted",
            "total",
            "payment_status",
            "payment",
            "amount_refunded",
            "created_at",
            "updated_at",
        ]

    def to_representation(self, cart: Cart) -> dict:
        return super().to_representation(CartView(cart))


# -- refunds (an operator's) --------------------------------------------------------------


class RefundIn(serializers.Serializer):
    amount = MoneyField(min_value=Decimal("0"), exclusive_min=True)
    reason = StrictCharField(required=False, allow_blank=True, max_length=500, default="")


class CancelIn(serializers.Serializer):
    reason = StrictCharField(required=False, allow_blank=True, max_length=500, default="")


class CartRefundOut(serializers.ModelSerializer):
    amount = MoneyField()
    payment_refund_id = BlankAsNullCharField(allow_null=True)
    failure_code = BlankAsNullCharField(allow_null=True)

    class Meta:
        model = CartRefund
        fields = [
            "id",
            "number",
            "kind",
            "amount",
            "reason",
            "status",
            "failure_code",
            "payment_refund_id",
            "started_at",
            "settled_at",
        ]
        read_only_fields = fields
