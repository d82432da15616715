"""Request validation and the cart's JSON representation."""

from __future__ import annotations

from rest_framework import serializers

from carts.models import MAX_QUANTITY, Cart, CartItem
from servicekit.codes import normalise_code
from servicekit.fields import CurrencyField, MoneyField

# -- input ------------------------------------------------------------------------------


class QuantityIn(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)


class ItemIn(QuantityIn):
    sku = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200)
    unit_price = MoneyField()


class CartCreateIn(serializers.Serializer):
    currency = CurrencyField()
    items = ItemIn(many=True, required=False)


class DiscountIn(serializers.Serializer):
    # normalise_code trims; DRF's trim would also drop Unicode spaces (U+00A0 ...).
    code = serializers.CharField(max_length=64, trim_whitespace=False)

    def validate_code(self, value: str) -> str:
        # The rule discount_service applies too: Unicode never turns into an ASCII code.
        return normalise_code(value)


# -- output -----------------------------------------------------------------------------


class CartItemOut(serializers.ModelSerializer):
    unit_price = MoneyField()
    line_total = MoneyField()

    class Meta:
        model = CartItem
        fields = ["id", "sku", "name", "unit_price", "quantity", "line_total"]


class DiscountOut(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=["percent", "fixed"])
    value = MoneyField()


class PaymentOut(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.CharField()
    decline_code = serializers.CharField(allow_null=True)


class CartOut(serializers.ModelSerializer):
    """The cart as API.md shows it; totals come from carts.pricing on every read."""

    items = CartItemOut(many=True)
    items_number = serializers.IntegerField()
    subtotal = MoneyField()
    discount = DiscountOut(allow_null=True)
    amount_discounted = MoneyField()
    total = MoneyField()
    payment = PaymentOut(allow_null=True)

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
            "created_at",
            "updated_at",
        ]

    def to_representation(self, cart: Cart) -> dict:
        totals = cart.totals()
        data = {
            "id": str(cart.id),
            "currency": cart.currency,
            "items": CartItemOut(cart.items.all(), many=True).data,
            "items_number": totals.items_number,
            "subtotal": MoneyField().to_representation(totals.subtotal),
            "discount": None,
            "amount_discounted": MoneyField().to_representation(totals.amount_discounted),
            "total": MoneyField().to_representation(totals.total),
            "payment_status": cart.payment_status,
            "payment": None,
            "created_at": serializers.DateTimeField().to_representation(cart.created_at),
            "updated_at": serializers.DateTimeField().to_representation(cart.updated_at),
        }
        if cart.discount_code:
            data["discount"] = {
                "code": cart.discount_code,
                "kind": cart.discount_kind,
                "value": MoneyField().to_representation(cart.discount_value),
            }
        if cart.last_payment_id:
            data["payment"] = {
                "id": cart.last_payment_id,
                "status": cart.last_payment_status,
                "decline_code": cart.last_payment_decline_code or None,
            }
        return data
