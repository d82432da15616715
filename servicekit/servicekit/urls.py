"""URL patterns every service mounts beside its API.

The error handlers (``handler404`` and the others, servicekit.views) are named in each
service's root URLconf (``config/urls.py``): Django reads them only there.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from servicekit import views
from servicekit.middleware import ADMIN_PREFIX
from servicekit.observability.views import metrics_view


def common_urlpatterns(provider_states=None) -> list:
    patterns: list[URLPattern | URLResolver] = [
        path("health/live", views.health_live, name="health-live"),
        path("health/ready", views.health_ready, name="health-ready"),
        path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
        path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
        path("metrics", metrics_view, name="metrics"),
    ]
    if getattr(settings, "ADMIN_ENABLED", False):  # the operators' console (servicekit.operators)
        patterns.append(path(ADMIN_PREFIX.strip("/") + "/", admin.site.urls))
    if provider_states is not None and settings.PACT_PROVIDER_STATES:
        patterns.append(
            path("_pact/provider-states", provider_states.view(), name="provider-states")
        )
    return patterns
