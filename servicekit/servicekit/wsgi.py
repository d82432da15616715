"""The WSGI application of a service, warmed up before gunicorn forks its workers."""

from __future__ import annotations

import os


def application(settings_module: str = "config.settings"):
    """Django's WSGI handler, with every view, serializer and URL pattern imported.

    gunicorn preloads this in its master (``preload_app``), so each forked worker
    starts with the imports done and answers its first request as fast as its
    hundredth, instead of spending most of a second importing on it.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    from django.core.wsgi import get_wsgi_application
    from django.urls import get_resolver

    handler = get_wsgi_application()
    get_resolver().url_patterns  # noqa: B018 - imports the URLconf and every view module
    return handler
