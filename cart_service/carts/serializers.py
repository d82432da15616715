"""Request validation and the cart's JSON representation."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from carts.models import MAX_QUANTITY, Cart, CartItem
from servicekit.codes import normalise_code
from servicekit.drf import InputFieldsOnceMixin
from servicekit.fields import CurrencyField, MoneyField, StrictIntegerField
from servicekit.money import format_money

# -- input ------------------------------------------------------------------------------


class QuantityIn(InputFieldsOnceMixin, serializers.Serializer):
    # A JSON integer: DRF's IntegerField would read "2", and int() reads any Unicode digits.
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)


class ItemIn(QuantityIn):
    sku = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200)
    unit_price = MoneyField()


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
    """The cart as docs/api.md shows it; totals come from carts.domain on every read."""

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
        # Built by hand from the cart and its lines (read once per request): this runs on
        # every cart response, and DRF's field machinery would cost more than the request.
        totals = cart.totals()
        return {
            "id": str(cart.id),
            "currency": cart.currency,
            "items": [
                {
                    "id": str(item.id),
                    "sku": item.sku,
                    "name": item.name,
                    "unit_price": format_money(item.unit_price),
                    "quantity": item.quantity,
                    "line_total": format_money(item.line_total),
                }
                for item in cart.lines
            ],
            "items_number": totals.items_number,
            "subtotal": format_money(totals.subtotal),
            "discount": {
                "code": cart.discount_code,
                "kind": discount.kind,
                "value": format_money(discount.value),
            }
            if (discount := cart.discount)
            else None,
            "amount_discounted": format_money(totals.amount_discounted),
            "total": format_money(totals.total),
            "payment_status": cart.payment_status,
            "payment": {
                "id": cart.last_payment_id,
                "status": cart.last_payment_status,
                "decline_code": cart.last_payment_decline_code or None,
            }
            if cart.last_payment_id
            else None,
            "created_at": _DATETIME.to_representation(cart.created_at),
            "updated_at": _DATETIME.to_representation(cart.updated_at),
        }


_DATETIME = serializers.DateTimeField()
