"""The floor: a bare Django view returning a small JSON object.

It runs under the services' own gunicorn settings, so the benchmark can say how
far a service's hot read is from what Django itself costs on this machine:

    gunicorn -c python:servicekit.gunicorn_conf bench.floor:application

With ``FLOOR_DATABASE_URL`` (discount_service's database) it also answers
``/read/<code>/``: the same row the hot read returns, read through Django's database
layer with the services' database options, with no middleware, no token, no
serializer and no log line: what Django itself costs for that read.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.http import JsonResponse
from django.urls import path

from servicekit.settings import database_settings

DATABASES = (
    {"default": database_settings(os.environ["FLOOR_DATABASE_URL"])}
    if os.environ.get("FLOOR_DATABASE_URL")
    else {}
)

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-floor-not-a-secret",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    USE_TZ=True,
    DATABASES=DATABASES,
)

BODY = {
    "code": "BENCH10",
    "kind": "percent",
    "value": "10.00",
    "currency": None,
    "status": "active",
}
COLUMNS = (
    "code",
    "description",
    "kind",
    "value",
    "currency",
    "starts_at",
    "ends_at",
    "max_redemptions",
    "times_redeemed",
    "is_active",
    "created_at",
)
READ = f"SELECT {', '.join(COLUMNS)} FROM discounts_discount WHERE code = %s"  # noqa: S608


def floor(request):
    return JsonResponse(BODY)


def read(request, code: str):
    with connection.cursor() as cursor:
        cursor.execute(READ, [code])
        row = cursor.fetchone()
    if row is None:
        return JsonResponse({"detail": "not found"}, status=404)
    body = dict(zip(COLUMNS, row, strict=True))
    body["value"] = f"{body['value']:.2f}"
    body["status"] = "active" if body["is_active"] else "inactive"
    return JsonResponse(body)


def ready(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("floor/", floor),
    *([path("read/<str:code>/", read)] if DATABASES else []),
    path("health/ready", ready),
]
application = get_wsgi_application()
