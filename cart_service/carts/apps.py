from django.apps import AppConfig


class CartsConfig(AppConfig):
    name = "carts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from carts.metrics import ReconcilerBacklog
        from servicekit.observability.metrics import register_scrape_collector

        register_scrape_collector(ReconcilerBacklog())
