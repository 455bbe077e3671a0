from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "frontline.shipping"
    label = "shipping"
    verbose_name = "Shipping and tracking"
