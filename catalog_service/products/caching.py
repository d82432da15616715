"""HTTP caching of the reads, with Django's own conditional GET.

A 200 answer to a GET carries ``Cache-Control: public, max-age=CATALOG_CACHE_MAX_AGE`` and
an ``ETag`` (a hash of its body, Django's ``ConditionalGetMiddleware``); a GET whose
``If-None-Match`` holds the current ETag is answered 304 without the body. The answers do
not depend on who asks (reads take no token), so shared caches may keep them too. Errors
carry neither: a product created a moment later is found at once.
"""

from __future__ import annotations

from django.conf import settings
from django.middleware.http import ConditionalGetMiddleware
from django.utils.cache import patch_cache_control
from django.utils.decorators import decorator_from_middleware, method_decorator


class CacheableReads(ConditionalGetMiddleware):
    def process_response(self, request, response):
        if request.method == "GET" and response.status_code == 200:
            patch_cache_control(response, public=True, max_age=settings.CATALOG_CACHE_MAX_AGE)
        return super().process_response(request, response)

    def needs_etag(self, response) -> bool:
        return response.status_code == 200 and super().needs_etag(response)


# For a view class: @cacheable_reads. Its DRF response is rendered later, so the ETag is
# taken (and the 304 decided) after rendering, from the bytes the client gets.
cacheable_reads = method_decorator(decorator_from_middleware(CacheableReads), name="dispatch")
