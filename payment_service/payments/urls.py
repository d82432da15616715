from django.urls import path

from payments import apis

urlpatterns = [
    path("api/payments/", apis.PaymentListCreateApi.as_view(), name="payment-list"),
    path("api/payments/<str:payment_id>/", apis.PaymentDetailApi.as_view(), name="payment-detail"),
]
