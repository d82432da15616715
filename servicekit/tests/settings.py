"""The smallest Django project that exercises the kit: one view per behaviour."""

SECRET_KEY = "servicekit-tests"
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = ["rest_framework"]
MIDDLEWARE = [
    "servicekit.observability.middleware.ObservabilityMiddleware",
    "servicekit.request_id.RequestIdMiddleware",
    "servicekit.middleware.ProblemMiddleware",
]
ROOT_URLCONF = "tests.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
CURRENCIES = ["USD", "EUR", "GBP"]
API_TOKENS = {"admin": "admin-token-for-tests", "service": "service-token-for-tests"}
PACT_PROVIDER_STATES = True
METRICS_TOKEN = "metrics-token-for-tests"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["servicekit.auth.BearerTokenAuthentication"],
    "DEFAULT_PARSER_CLASSES": ["servicekit.drf.DecimalJSONParser"],
    "EXCEPTION_HANDLER": "servicekit.drf.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
