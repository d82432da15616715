"""The floor: a bare Django view returning a small JSON object.

It runs under the services' own gunicorn settings, so the benchmark can say how
far a service's hot read is from what Django itself costs on this machine:

    gunicorn -c python:servicekit.gunicorn_conf bench.floor:application
"""

from __future__ import annotations

from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-floor-not-a-secret",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    USE_TZ=True,
)

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402

BODY = {
    "code": "BENCH10",
    "kind": "percent",
    "value": "10.00",
    "currency": None,
    "status": "active",
}


def floor(request):
    return JsonResponse(BODY)


def ready(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [path("floor/", floor), path("health/ready", ready)]
application = get_wsgi_application()
