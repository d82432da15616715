from django.urls import path

from discounts import apis

urlpatterns = [
    path("api/discounts/", apis.DiscountListCreateApi.as_view(), name="discount-list"),
    path("api/discounts/<str:code>/", apis.DiscountDetailApi.as_view(), name="discount-detail"),
    path(
        "api/discounts/<str:code>/eligibility/",
        apis.EligibilityApi.as_view(),
        name="discount-eligibility",
    ),
    path(
        "api/discounts/<str:code>/codes/",
        apis.IssuedCodesApi.as_view(),
        name="issued-code-list",
    ),
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
