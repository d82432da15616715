from discounts.provider_states import states
from discounts.urls import urlpatterns as discount_urlpatterns
from servicekit.urls import common_urlpatterns

urlpatterns = [*discount_urlpatterns, *common_urlpatterns(provider_states=states)]

handler400 = "servicekit.views.bad_request"
handler403 = "servicekit.views.permission_denied"
handler404 = "servicekit.views.page_not_found"
handler500 = "servicekit.views.server_error"
