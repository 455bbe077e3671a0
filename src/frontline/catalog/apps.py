from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "frontline.catalog"
    label = "catalog"
    verbose_name = "Catalog and stock"
