from django.apps import AppConfig


class DiscountsConfig(AppConfig):
    name = "discounts"
    default_auto_field = "django.db.models.BigAutoField"
