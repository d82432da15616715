"""The errors catalog_service answers with; each carries a stable ``code``."""

from servicekit.errors import Conflict, NotFound


class ProductNotFound(NotFound):
    code = "product_not_found"
    title = "Product not found"


class ProductSkuTaken(Conflict):
    code = "product_sku_taken"
    title = "Product sku taken"
