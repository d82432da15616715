from django.urls import include, path

from carts.provider_states import states
from servicekit.urls import common_urlpatterns

urlpatterns = [*common_urlpatterns(provider_states=states), path("", include("carts.urls"))]

handler400 = "servicekit.views.bad_request"
handler403 = "servicekit.views.permission_denied"
handler404 = "servicekit.views.page_not_found"
handler500 = "servicekit.views.server_error"
