from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "frontline.catalog"
    label = "catalog"
    verbose_name = "Catalog and stock"

    def ready(self) -> None:
        from frontline.core import live, search
        from frontline.core.importing import register_importer

        from . import receivers, warehouse_cache
        from .importers import ProductImporter, StockImporter
        from .live import PREFIX, authorize_stock_group
        from .services import SEARCH_CODE, SEARCH_KIND

        search.register_kind(SEARCH_KIND, SEARCH_CODE)
        live.register_live_group(PREFIX, authorize_stock_group)
        receivers.connect()
        warehouse_cache.connect()
        register_importer("products", ProductImporter())
        register_importer("stock", StockImporter())
