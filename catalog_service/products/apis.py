"""HTTP endpoints: validate the input, call one service or selector, serialize the result.

Reads are open to anyone (no token; an Authorization header is ignored, not judged) and
cacheable (products.caching); writes need the admin token.
"""

from __future__ import annotations

from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from products import examples, selectors, services
from products.caching import cacheable_reads
from products.domain import well_formed_batch
from products.serializers import ProductCreateIn, ProductListQueryIn, ProductOut, ProductUpdateIn
from servicekit.auth import BearerTokenAuthentication, roles_allowed
from servicekit.drf import PageNumberPagination
from servicekit.perf.drf import LeanGetMixin
from servicekit.schema import INVALID_INPUT, NOT_AUTHENTICATED, PERMISSION_DENIED, error_doc

AdminOnly = roles_allowed("admin")

SKU_PARAM = OpenApiParameter(
    "sku",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The product's sku, case-insensitive (`mug-1` finds `MUG-1`).",
    examples=[OpenApiExample("MUG-1", value="MUG-1")],
)
CACHED = (
    "Answered with `Cache-Control: public, max-age=N` (`CATALOG_CACHE_MAX_AGE`) and an "
    "`ETag`; `If-None-Match` with the current ETag: 304 without a body."
)
NOT_MODIFIED = OpenApiResponse(description="Not modified: the ETag in If-None-Match is current.")


class PublicReadsAdminWrites:
    """GET (and HEAD, OPTIONS) for anyone, without authentication; the rest for the admin."""

    def _reading(self) -> bool:
        request = getattr(self, "request", None)  # None while drf-spectacular inspects us
        return request is None or request.method in permissions.SAFE_METHODS

    def get_authenticators(self):
        return [] if self._reading() else [BearerTokenAuthentication()]

    def get_permissions(self):
        return [] if self._reading() else [AdminOnly()]


@cacheable_reads
class ProductListCreateApi(LeanGetMixin, PublicReadsAdminWrites, generics.GenericAPIView):
    pagination_class = PageNumberPagination
    serializer_class = ProductOut
    # The hot read: cart_service's batch read of a cart's skus, on every cart it prices.
    # A well-formed one (only skus, valid, each once, not too many) skips DRF's dispatch.
    lean_public = True
    lean_query = True

    def lean_get(self, query: QueryDict) -> dict | None:
        skus = well_formed_batch(query.getlist("sku")) if query.keys() == {"sku"} else None
        return None if skus is None else _batch_body(selectors.product_batch(skus=skus))

    @extend_schema(
        operation_id="products_list",
        summary="List products by sku, or read several skus at once (anyone)",
        description="Filter by `search` (a sku prefix or a part of the name) and `active`; "
        "pages of 20 by default. With `sku` repeated (up to 100), a batch read: every product "
        "found, by sku, in one answer. " + CACHED,
        parameters=[ProductListQueryIn],
        auth=[],
        responses={
            200: OpenApiResponse(ProductOut(many=True), description="A page of products."),
            304: NOT_MODIFIED,
            400: error_doc(INVALID_INPUT),
            414: error_doc(
                "uri_too_long: the request line is over 4,094 bytes (gunicorn's limit), "
                "e.g. a batch of too many long skus; split it"
            ),
        },
        examples=examples.LISTED,
    )
    def get(self, request: Request) -> Response:
        data: dict[str, object] = {**request.query_params.dict()}
        if "sku" in request.query_params:
            data["sku"] = request.query_params.getlist("sku")
        query = ProductListQueryIn(data=data)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        if "sku" in params:
            return Response(_batch_body(selectors.product_batch(skus=params["sku"])))
        products = selectors.product_list(
            active=params.get("active"), search=params.get("search", "")
        )
        page = self.paginate_queryset(products)
        return self.get_paginated_response(ProductOut(page, many=True).data)

    @extend_schema(
        operation_id="products_create",
        summary="Create a product (admin)",
        description="The sku is trimmed and upper-cased; `prices` holds a price per currency "
        "the product is sold in (none: `{}`, the default). `active` defaults to true.",
        request=ProductCreateIn,
        examples=examples.CREATE,
        responses={
            201: OpenApiResponse(ProductOut, description="The new product."),
            400: error_doc(INVALID_INPUT),
            401: error_doc(NOT_AUTHENTICATED),
            403: error_doc(PERMISSION_DENIED),
            409: error_doc("product_sku_taken"),
        },
    )
    def post(self, request: Request) -> Response:
        body = ProductCreateIn(data=request.data)
        body.is_valid(raise_exception=True)
        product = services.product_create(**body.validated_data)
        return Response(ProductOut(product).data, status=status.HTTP_201_CREATED)


def _batch_body(found: list) -> dict:
    """A batch read's answer: every product found, as one unpaged page."""
    results = ProductOut(found, many=True).data
    return {"count": len(found), "next": None, "previous": None, "results": results}


@cacheable_reads
class ProductDetailApi(PublicReadsAdminWrites, APIView):
    @extend_schema(
        operation_id="products_retrieve",
        summary="Get a product by sku (anyone)",
        description="cart_service prices a line here. " + CACHED,
        parameters=[SKU_PARAM],
        auth=[],
        responses={
            200: OpenApiResponse(ProductOut, description="The product, with its prices."),
            304: NOT_MODIFIED,
            404: error_doc("product_not_found (also for a sku that cannot exist)"),
        },
        examples=[examples.A_PRODUCT],
    )
    def get(self, request: Request, sku: str) -> Response:
        return Response(ProductOut(selectors.product_get(sku=sku)).data)

    @extend_schema(
        operation_id="products_partial_update",
        summary="Change, reprice or deactivate a product (admin)",
        description="Only name, active and prices can change; `prices` replaces the whole map. "
        "Sending sku, created_at or updated_at is a validation_error naming it.",
        parameters=[SKU_PARAM],
        request=ProductUpdateIn,
        examples=examples.UPDATE,
        responses={
            200: OpenApiResponse(ProductOut, description="The changed product."),
            400: error_doc(INVALID_INPUT),
            401: error_doc(NOT_AUTHENTICATED),
            403: error_doc(PERMISSION_DENIED),
            404: error_doc("product_not_found"),
        },
    )
    def patch(self, request: Request, sku: str) -> Response:
        body = ProductUpdateIn(data=request.data)
        body.is_valid(raise_exception=True)
        product = services.product_update(sku=sku, changes=body.validated_data)
        return Response(ProductOut(product).data)
