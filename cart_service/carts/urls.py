from django.urls import path

from carts import apis

# Ids are matched as strings: a malformed id is a 404 of the right kind, not a bare 404.
urlpatterns = [
    path("api/carts/", apis.CartListCreateApi.as_view(), name="cart-list"),
    path("api/carts/<str:cart_id>/", apis.CartDetailApi.as_view(), name="cart-detail"),
    path("api/carts/<str:cart_id>/items/", apis.CartItemsApi.as_view(), name="cart-items"),
    path(
        "api/carts/<str:cart_id>/items/<str:item_id>/",
        apis.CartItemDetailApi.as_view(),
        name="cart-item-detail",
    ),
    path("api/carts/<str:cart_id>/discount/", apis.CartDiscountApi.as_view(), name="cart-discount"),
    path("api/carts/<str:cart_id>/checkout/", apis.CartCheckoutApi.as_view(), name="cart-checkout"),
    path("api/carts/<str:cart_id>/cancel/", apis.CartCancelApi.as_view(), name="cart-cancel"),
    path("api/carts/<str:cart_id>/refunds/", apis.CartRefundsApi.as_view(), name="cart-refunds"),
]
