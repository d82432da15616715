"""The operators' console for products and their prices (Django's admin;
servicekit.operators).

A product and its whole price map are written only through products.services
(product_create, product_update: the row lock, the diff of prices, the metrics), never by
the forms themselves; every change is in the history with the operator and the reason.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin

from products import services
from products.domain import SKU_RULE, is_valid_sku, normalise_sku
from products.models import Price, Product
from servicekit.operators.admin import ReasonFormMixin, ReasonInHistoryMixin


class ProductForm(ReasonFormMixin, forms.ModelForm):
    class Meta:
        model = Product
        fields = ["sku", "name", "active"]

    def clean_sku(self) -> str:
        sku = normalise_sku(self.cleaned_data["sku"])
        if not is_valid_sku(sku):
            raise forms.ValidationError(f"A sku is {SKU_RULE}")
        return sku


class PriceForm(forms.ModelForm):
    currency = forms.ChoiceField(choices=lambda: [(c, c) for c in settings.CURRENCIES])

    class Meta:
        model = Price
        fields = ["currency", "amount"]


class PriceInline(admin.TabularInline):
    model = Price
    form = PriceForm
    extra = 1
    verbose_name_plural = "prices (one per currency; none: not sold in it)"

    # The prices are part of the product (one price map, written by the product's service):
    # who may add or change a product may edit its prices.
    def _product_permission(self, request, obj) -> bool:
        action = "change" if obj is not None else "add"
        return request.user.has_perm(f"products.{action}_product")

    def has_add_permission(self, request, obj=None) -> bool:
        return self._product_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._product_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._product_permission(request, obj)


@admin.register(Product)
class ProductAdmin(ReasonInHistoryMixin, admin.ModelAdmin):
    form = ProductForm
    list_display = ["sku", "name", "active", "prices", "updated_at"]
    list_filter = ["active"]
    search_fields = ["sku", "name"]
    inlines = [PriceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("prices")

    def get_fields(self, request, obj=None):
        return ["sku", "name", "active", "reason"]

    def get_readonly_fields(self, request, obj=None):
        return ("sku",) if obj else ()  # a sku names the product for good

    @admin.display(description="prices")
    def prices(self, product: Product) -> str:
        return ", ".join(f"{c} {a}" for c, a in product.price_map.items()) or "not on sale"

    def save_model(self, request, obj, form, change):
        """Written in save_related, with the prices: one call of the service for both."""

    def save_related(self, request, form, formsets, change):
        prices = {}
        for formset in formsets:
            gone = formset.deleted_forms
            kept = [f for f in formset.forms if f.cleaned_data and f not in gone]
            prices.update({f.cleaned_data["currency"]: f.cleaned_data["amount"] for f in kept})
            # What the history says of the prices (the formset itself never saves).
            formset.new_objects = [
                f.instance for f in kept if f.instance.pk is None and f.has_changed()
            ]
            formset.changed_objects = [
                (f.instance, f.changed_data) for f in kept if f.instance.pk and f.has_changed()
            ]
            formset.deleted_objects = [f.instance for f in gone if f.instance.pk]
        data = form.cleaned_data
        if change:
            saved = services.product_update(
                sku=form.instance.sku,
                changes={"name": data["name"], "active": data["active"], "prices": prices},
            )
        else:
            saved = services.product_create(
                sku=data["sku"], name=data["name"], active=data["active"], prices=prices
            )
        form.instance.pk, form.instance.sku = saved.pk, saved.sku

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # carts hold its lines: a product is taken off sale (active), not deleted
