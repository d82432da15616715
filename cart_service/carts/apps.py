from django.apps import AppConfig


class CartsConfig(AppConfig):
    name = "carts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from servicekit.observability.metrics import register_scrape_collector

        from .metrics import ReconcilerBacklog

        register_scrape_collector(ReconcilerBacklog())
