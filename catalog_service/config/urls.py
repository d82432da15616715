from django.urls import include, path

from products.provider_states import states
from servicekit.urls import common_urlpatterns

# The API (all under api/, in products/urls.py), then health, schema, docs, metrics and the
# provider-states endpoint when enabled.
urlpatterns = [path("", include("products.urls")), *common_urlpatterns(provider_states=states)]

handler400 = "servicekit.views.bad_request"
handler403 = "servicekit.views.permission_denied"
handler404 = "servicekit.views.page_not_found"
handler500 = "servicekit.views.server_error"
