from django.urls import path

from discounts import apis

urlpatterns = [
    path("api/discounts/", apis.DiscountListCreateApi.as_view(), name="discount-list"),
    path("api/discounts/<str:code>/", apis.DiscountDetailApi.as_view(), name="discount-detail"),
    path(
        "api/discounts/<str:code>/redemptions/",
        apis.RedemptionCreateApi.as_view(),
        name="redemption-list",
    ),
    path(
        "api/discounts/<str:code>/redemptions/<str:cart_id>/",
        apis.RedemptionDetailApi.as_view(),
        name="redemption-detail",
    ),
]
