"""Settings every service shares, read from the environment (12-factor).

A service's ``config/settings.py`` calls :func:`base_settings` and adds its own.
Outside production, unset variables take documented development defaults;
with ``DJANGO_ENV=production`` the service refuses to start with ``DEBUG`` on,
a missing or weak ``SECRET_KEY``, or a missing or development token.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from servicekit import observability

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}
DEV_SECRET_KEY = "dev-insecure-secret-key-only-for-local-runs"
DEV_TOKENS = {
    "DISCOUNT_ADMIN_TOKEN": "dev-admin-token",
    "DISCOUNT_SERVICE_TOKEN": "dev-discount-service-token",
    "PAYMENT_SERVICE_TOKEN": "dev-payment-service-token",
    "PAYMENT_LEDGER_TOKEN": "dev-payment-ledger-token",
    "CART_ADMIN_TOKEN": "dev-cart-admin-token",
    "CATALOG_ADMIN_TOKEN": "dev-catalog-admin-token",
}


# Only these values get development defaults; anything else that is not "production"
# (a typo, "prod", "staging") refuses to start rather than run with development secrets.
DEVELOPMENT_ENVS = frozenset({"development", "test"})
PRODUCTION_ENV = "production"


def django_env() -> str:
    """``DJANGO_ENV``: ``production``, ``development`` or ``test``; unset means development."""
    raw = _raw("DJANGO_ENV")
    value = "development" if raw is None else raw.strip()
    if value != PRODUCTION_ENV and value not in DEVELOPMENT_ENVS:
        known = ", ".join(sorted({PRODUCTION_ENV, *DEVELOPMENT_ENVS}))
        raise ImproperlyConfigured(f"DJANGO_ENV must be one of {known}, not {raw!r}.")
    return value


def is_production() -> bool:
    return django_env() == PRODUCTION_ENV


# An empty variable counts as unset everywhere (`FOO=` in an env file means "the default").
def _raw(name: str) -> str | None:
    raw = os.environ.get(name)
    return None if raw is None or not raw.strip() else raw


def env_bool(name: str, default: bool) -> bool:
    raw = _raw(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = _raw(name)
    try:
        return default if raw is None else int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}.") from exc


def env_float(name: str, default: float) -> float:
    raw = _raw(name)
    try:
        return default if raw is None else float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}.") from exc


RATE_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def env_rate(name: str, default: str) -> tuple[int, int]:
    """A rate such as ``30/hour``: (requests, period in seconds). Periods: second to day."""
    raw = (_raw(name) or default).strip()
    count, _, period = raw.partition("/")
    if not count.isdigit() or int(count) < 1 or period not in RATE_PERIODS:
        raise ImproperlyConfigured(
            f"{name} must look like 30/hour (a positive count per second, minute, hour or day), "
            f"not {raw!r}."
        )
    return int(count), RATE_PERIODS[period]


def env_str(name: str, default: str) -> str:
    raw = _raw(name)
    return default if raw is None else raw.strip()


def env_list(name: str, default: list[str]) -> list[str]:
    raw = _raw(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_token(name: str) -> str:
    """A bearer token: required in production and never the development one."""
    value = os.environ.get(name, "").strip()
    if is_production():
        if not value:
            raise ImproperlyConfigured(f"{name} must be set in production.")
        if value == DEV_TOKENS.get(name) or value.startswith("dev-"):
            raise ImproperlyConfigured(f"{name} is a development token; set a real one.")
        if len(value) < 16:
            raise ImproperlyConfigured(f"{name} must be at least 16 characters long.")
        return value
    return value or DEV_TOKENS[name]


def env_url(name: str, dev_default: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value and is_production():
        raise ImproperlyConfigured(f"{name} must be set in production.")
    return (value or dev_default).rstrip("/")


def _secret_key() -> str:
    value = os.environ.get("SECRET_KEY", "")
    if not is_production():
        return value or DEV_SECRET_KEY
    if not value:
        raise ImproperlyConfigured("SECRET_KEY must be set in production.")
    if value == DEV_SECRET_KEY or value.startswith("django-insecure") or len(value) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be a random value of at least 50 characters.")
    return value


def _api_description(base_dir: Path) -> str:
    """The docs page's introduction: the service's ``config/openapi.md`` (Markdown)."""
    path = base_dir / "config" / "openapi.md"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def sqlite_options(lock_timeout: float) -> dict:
    """SQLite (the embedded default) tuned for a multi-process server.

    * IMMEDIATE: SQLite has no row locks, so every transaction takes the write lock
      up front; read-check-write sequences are serialised instead of failing with
      "database is locked" when a reader tries to upgrade. Transactions are short
      (no HTTP call inside one), so the wait is short too.
    * WAL: readers never wait for the writer, and the writer never waits for readers.
    * synchronous=NORMAL: in WAL mode a commit is durable against a process crash and
      costs no fsync; only a power loss can lose the last commits (fine for the local
      default; PostgreSQL is what production runs).
    * timeout (busy_timeout): how long a writer waits for the lock before failing
      (``DB_LOCK_TIMEOUT``; the request then answers 409 ``resource_busy``).
    """
    return {
        "transaction_mode": "IMMEDIATE",
        "timeout": lock_timeout,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }


def postgres_prepared_statements() -> dict:
    """psycopg options: parameters bound by the server, statements prepared on reuse.

    Django's default sends every query as text with its values quoted in by psycopg, and
    PostgreSQL parses and plans it again each time. Bound on the server, a query that a
    connection has run ``prepare_threshold`` times (psycopg's default, 5) is prepared once
    and then only executed: on the checkout flow PostgreSQL's own CPU fell by about a
    quarter and the services' a little (README, Performance). Each connection prepares its
    own statements, so this suits direct connections and session pooling;
    ``DB_PREPARED_STATEMENTS=false`` turns it off behind a pooler in transaction mode
    (PgBouncer before 1.21), which hands one session's statements to another.
    """
    return {"server_side_binding": True, "prepare_threshold": 5}


def database_settings(url: str) -> dj_database_url.DBConfig:
    """Django's ``DATABASES["default"]`` for ``url``, as every service connects.

    Persistent connections with health checks (``DB_CONN_MAX_AGE``); SQLite tuned by
    :func:`sqlite_options`; PostgreSQL through ``servicekit.postgresql`` with a lock
    timeout and, unless ``DB_PREPARED_STATEMENTS=false``, server-bound parameters.
    """
    database = dj_database_url.parse(
        url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
    # No request waits without bound for a lock another one holds (a frozen or slow
    # process): past DB_LOCK_TIMEOUT seconds it answers 409 resource_busy (servicekit.drf).
    lock_timeout = env_float("DB_LOCK_TIMEOUT", 5.0)
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("OPTIONS", {}).update(sqlite_options(lock_timeout))
    elif database["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend; only its health check differs (no SELECT 1 on a quiet socket).
        database["ENGINE"] = "servicekit.postgresql"
        database.setdefault("OPTIONS", {})["options"] = (
            f"-c lock_timeout={int(lock_timeout * 1000)}"
        )
        if env_bool("DB_PREPARED_STATEMENTS", True):
            database["OPTIONS"].update(postgres_prepared_statements())
    return database


def base_settings(*, service: str, base_dir: Path, apps: list[str], title: str) -> dict:
    production = is_production()
    debug = env_bool("DEBUG", default=False)
    if production and debug:
        raise ImproperlyConfigured("DEBUG must be off in production.")
    provider_states = env_bool("PACT_PROVIDER_STATES", default=False)
    if production and provider_states:
        raise ImproperlyConfigured("PACT_PROVIDER_STATES must not be set in production.")
    ssl_redirect = env_bool("SECURE_SSL_REDIRECT", default=production)
    allowed_hosts = env_list(
        "ALLOWED_HOSTS", [] if production else ["127.0.0.1", "localhost", "[::1]", "testserver"]
    )
    if production and not allowed_hosts:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production.")

    database = database_settings(_raw("DATABASE_URL") or f"sqlite:///{base_dir / 'db.sqlite3'}")

    # Off only to measure what metrics cost (bench/run.py --observability off): no HTTP or
    # database metrics, no /metrics. Tracing follows the OTEL_* variables (see tracing.py).
    metrics_enabled = env_bool("METRICS_ENABLED", default=True)
    tracing_enabled = observability.setup(service, metrics=metrics_enabled)
    admin = admin_settings(service, production)
    settings = {
        "SERVICE_NAME": service,
        "BASE_DIR": base_dir,
        "SECRET_KEY": _secret_key(),
        "DEBUG": debug,
        "PRODUCTION": production,
        "ALLOWED_HOSTS": allowed_hosts,
        "INSTALLED_APPS": [
            "django.contrib.staticfiles",
            "rest_framework",
            "drf_spectacular",
            "drf_spectacular_sidecar",
            *apps,
            # The operators' console (servicekit.operators): installed always, so the tables
            # exist and `createsuperuser` works; served only with ADMIN_ENABLED.
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "axes",
            "servicekit.operators",
        ],
        "MIDDLEWARE": [
            *(
                ["servicekit.observability.middleware.ObservabilityMiddleware"]
                if metrics_enabled or tracing_enabled
                else []
            ),
            "servicekit.request_id.RequestIdMiddleware",
            "servicekit.middleware.ProblemMiddleware",
            "django.middleware.security.SecurityMiddleware",
            "whitenoise.middleware.WhiteNoiseMiddleware",
            "django.middleware.common.CommonMiddleware",
            # No CsrfViewMiddleware: see SILENCED_SYSTEM_CHECKS (the admin's views are
            # csrf_protect'ed by Django itself).
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
            *admin.pop("MIDDLEWARE"),
        ],
        "ROOT_URLCONF": "config.urls",
        "WSGI_APPLICATION": "config.wsgi.application",
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        "DATABASES": {"default": database},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "USE_TZ": True,
        "TIME_ZONE": "UTC",
        "LANGUAGE_CODE": "en-us",
        "USE_I18N": False,
        "STATIC_URL": "static/",
        "STATIC_ROOT": None,
        # Docs assets are served from the installed packages; no collectstatic step.
        "WHITENOISE_USE_FINDERS": True,
        "APPEND_SLASH": False,
        "CURRENCIES": env_list("CURRENCIES", ["USD", "EUR", "GBP"]),
        "PACT_PROVIDER_STATES": provider_states,
        "METRICS_ENABLED": metrics_enabled,
        "METRICS_TOKEN": metrics_token() if metrics_enabled else "",
        "REST_FRAMEWORK": {
            "DEFAULT_AUTHENTICATION_CLASSES": ["servicekit.auth.BearerTokenAuthentication"],
            "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
            "DEFAULT_PARSER_CLASSES": ["servicekit.drf.DecimalJSONParser"],
            "DEFAULT_RENDERER_CLASSES": [
                "rest_framework.renderers.JSONRenderer",
                "servicekit.drf.ProblemJSONRenderer",
            ],
            "DEFAULT_CONTENT_NEGOTIATION_CLASS": "servicekit.perf.drf.JSONFirstNegotiation",
            "DEFAULT_PAGINATION_CLASS": "servicekit.drf.PageNumberPagination",
            "PAGE_SIZE": 20,
            "EXCEPTION_HANDLER": "servicekit.drf.exception_handler",
            "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
            "UNAUTHENTICATED_USER": None,
            "COERCE_DECIMAL_TO_STRING": True,
            "STRICT_JSON": True,
        },
        "SPECTACULAR_SETTINGS": {
            "TITLE": title,
            "DESCRIPTION": _api_description(base_dir),
            "VERSION": "1.0.0",
            "SERVE_INCLUDE_SCHEMA": False,
            "SWAGGER_UI_DIST": "SIDECAR",
            "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
            "REDOC_DIST": "SIDECAR",
            "COMPONENT_SPLIT_REQUEST": True,
        },
        "LOGGING": logging_config(service),
        # Production hardening; `manage.py check --deploy` is clean with DJANGO_ENV=production.
        "SECURE_SSL_REDIRECT": ssl_redirect,
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "SECURE_HSTS_SECONDS": env_int("SECURE_HSTS_SECONDS", 31536000 if production else 0),
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": production,
        "SECURE_HSTS_PRELOAD": production,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "X_FRAME_OPTIONS": "DENY",
        # W003 (no CsrfViewMiddleware): the APIs authenticate by bearer token only, never
        # by cookie or session, so a cross-site request carries no credential and CSRF
        # protection has nothing to protect; the middleware only answered 403 HTML pages
        # to unsafe methods on the plain views (health, provider states).
        # W008 (no SSL redirect): plain HTTP between services in a private network.
        "SILENCED_SYSTEM_CHECKS": [
            "security.W003",
            *([] if ssl_redirect else ["security.W008"]),
            *admin.pop("SILENCED_SYSTEM_CHECKS"),
        ],
        **admin,
    }
    return settings


def admin_settings(service: str, production: bool) -> dict:
    """The operators' console (Django's admin under /admin/, servicekit.operators).

    ``ADMIN_ENABLED``: on by default outside production, off in production unless set.
    Off, no admin URL is mounted. On, the admin's middleware (sessions, auth, messages, the
    throttle) runs for /admin/ requests only (servicekit.operators.middleware); session and
    CSRF cookies are named per service (the four share a host in development, and cookies
    ignore ports), Secure in production, SameSite=Strict, HttpOnly; sign-ins are throttled
    per user and address (django-axes).
    The API's authentication stays bearer tokens only (REST_FRAMEWORK above).
    """
    enabled = env_bool("ADMIN_ENABLED", default=not production)
    failure_limit = env_int("ADMIN_LOGIN_FAILURE_LIMIT", 5)
    cooloff = env_int("ADMIN_LOGIN_COOLOFF_MINUTES", 15)
    if failure_limit < 1 or cooloff < 1:
        raise ImproperlyConfigured(
            "ADMIN_LOGIN_FAILURE_LIMIT and ADMIN_LOGIN_COOLOFF_MINUTES must be at least 1."
        )
    return {
        "ADMIN_ENABLED": enabled,
        "MIDDLEWARE": ["servicekit.operators.middleware.AdminMiddleware"] if enabled else [],
        # The admin's and axes' checks look for their middleware in MIDDLEWARE; it runs inside
        # AdminMiddleware, for the admin's requests (tests/admin hold that it works).
        "SILENCED_SYSTEM_CHECKS": ["admin.E408", "admin.E409", "admin.E410", "axes.W002"],
        "AUTHENTICATION_BACKENDS": [
            "axes.backends.AxesStandaloneBackend",
            "django.contrib.auth.backends.ModelBackend",
        ],
        "SESSION_COOKIE_NAME": f"{service}_session",
        "CSRF_COOKIE_NAME": f"{service}_csrftoken",
        "SESSION_COOKIE_SECURE": production,
        "CSRF_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Strict",
        "CSRF_COOKIE_SAMESITE": "Strict",
        "SESSION_COOKIE_AGE": env_int("ADMIN_SESSION_SECONDS", 8 * 3600),
        "AXES_ENABLED": enabled,
        "AXES_FAILURE_LIMIT": failure_limit,
        "AXES_COOLOFF_TIME": timedelta(minutes=cooloff),
        "AXES_LOCKOUT_PARAMETERS": [["username", "ip_address"]],
        "AXES_RESET_ON_SUCCESS": True,
    }


DEV_METRICS_TOKEN = "dev-metrics-token"


def metrics_token() -> str:
    """``METRICS_TOKEN`` for GET /metrics. Unset in production: /metrics is off (404)."""
    value = os.environ.get("METRICS_TOKEN", "").strip()
    if not is_production():
        return value or DEV_METRICS_TOKEN
    if value and (value.startswith("dev-") or len(value) < 16):
        raise ImproperlyConfigured(
            "METRICS_TOKEN must be a real token of at least 16 characters in production."
        )
    return value


LOG_FORMATS = {"text", "json"}


def logging_config(service: str) -> dict:
    log_format = (_raw("LOG_FORMAT") or "text").strip().lower()
    if log_format not in LOG_FORMATS:
        raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {log_format!r}.")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "servicekit.request_id.RequestIdFilter"},
            "mask_ids": {"()": "servicekit.request_id.MaskIdsFilter"},
            "trace_id": {"()": "servicekit.observability.logs.TraceIdFilter"},
        },
        "formatters": {
            "line": {
                "format": f"%(asctime)s %(levelname)s service={service} "
                "request_id=%(request_id)s trace_id=%(trace_id)s %(name)s: %(message)s"
            },
            "json": {"()": "servicekit.observability.logs.JsonFormatter", "service": service},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if log_format == "json" else "line",
                "filters": ["request_id", "trace_id"],
            }
        },
        "root": {"handlers": ["console"], "level": (_raw("LOG_LEVEL") or "INFO").upper()},
        "loggers": {
            # The access line comes from servicekit.request_id; Django's own would repeat it.
            "django.request": {"level": "ERROR", "filters": ["mask_ids"]},
            "django.server": {"level": "WARNING"},
            # Its version on every start; sign-in failures and lockouts still log (axes).
            "axes.apps": {"level": "WARNING"},
        },
    }
