from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "frontline.customers"
    label = "customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        from frontline.core import live, search
        from frontline.core.importing import register_importer

        from . import receivers
        from .importers import CustomerImporter
        from .live import authorize_customer_group

        search.register_kind("customer", 1)
        live.register_live_group("customer", authorize_customer_group)
        receivers.connect()
        register_importer("customers", CustomerImporter())
