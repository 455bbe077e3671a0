from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "frontline.shipping"
    label = "shipping"
    verbose_name = "Shipping and tracking"

    def ready(self) -> None:
        from frontline.core.importing import register_importer

        from .importers import ShipmentImporter

        register_importer("shipments", ShipmentImporter())
