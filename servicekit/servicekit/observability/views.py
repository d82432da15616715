"""``GET /metrics``: the Prometheus text format, behind the bearer token ``METRICS_TOKEN``.

On the API's own port, so the token is what keeps it private: without a token configured
(production without ``METRICS_TOKEN``) the route answers 404 like any unknown path.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.http import require_safe

from servicekit.observability.metrics import exposition
from servicekit.views import page_not_found, problem_json


@require_safe
def metrics_view(request):
    token = getattr(settings, "METRICS_TOKEN", "")
    if not token:
        return page_not_found(request)
    sent = request.META.get("HTTP_AUTHORIZATION", "")
    if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        response = problem_json(
            401,
            "not_authenticated",
            "Not authenticated",
            "Send the METRICS_TOKEN as a bearer token.",
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)
