from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "frontline.orders"
    label = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from frontline.core.importing import register_importer

        from . import services
        from .importers import OrderImporter

        services.register_merge_handler()
        register_importer("orders", OrderImporter())
