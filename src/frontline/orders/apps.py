from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "frontline.orders"
    label = "orders"
    verbose_name = "Orders"
