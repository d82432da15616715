from django.urls import path  # noqa: F401 - the app adds its routes here

from servicekit.urls import common_urlpatterns

# One line each, so the app's own routes and provider states are filled in by the app.
urlpatterns = [*common_urlpatterns()]

handler400 = "servicekit.views.bad_request"
handler403 = "servicekit.views.permission_denied"
handler404 = "servicekit.views.page_not_found"
handler500 = "servicekit.views.server_error"
