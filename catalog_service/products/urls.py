from django.urls import path

from products import apis

urlpatterns = [
    path("api/products/", apis.ProductListCreateApi.as_view(), name="product-list"),
    path("api/products/<str:sku>/", apis.ProductDetailApi.as_view(), name="product-detail"),
]
