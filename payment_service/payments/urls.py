from django.urls import path

from payments.apis import PaymentDetailApi, PaymentListCreateApi

urlpatterns = [
    path("payments/", PaymentListCreateApi.as_view(), name="payment-list"),
    path("payments/<str:payment_id>/", PaymentDetailApi.as_view(), name="payment-detail"),
]
