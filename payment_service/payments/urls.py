from django.urls import path

from payments import apis

urlpatterns = [
    path("api/payments/", apis.PaymentListCreateApi.as_view(), name="payment-list"),
    path("api/payments/<str:payment_id>/", apis.PaymentDetailApi.as_view(), name="payment-detail"),
    path(
        "api/payments/<str:payment_id>/refunds/",
        apis.RefundListCreateApi.as_view(),
        name="refund-list",
    ),
    path(
        "api/payments/<str:payment_id>/refunds/<str:refund_id>/",
        apis.RefundDetailApi.as_view(),
        name="refund-detail",
    ),
]
