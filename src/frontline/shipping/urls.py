"""Mounted at the site root: staff pages under /shipping/, webhooks under /hooks/tracking/."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "shipping"

urlpatterns: list[URLPattern | URLResolver] = [
    path("shipping/", views.shipment_list, name="shipment_list"),
    path("shipping/<int:pk>/", views.shipment_detail, name="shipment_detail"),
    path("shipping/order/<int:order_id>/shipments/", views.order_shipments, name="order_shipments"),
    path("shipping/carriers/", views.carrier_list, name="carrier_list"),
    path("hooks/tracking/<slug:provider>", views.tracking_webhook, name="tracking_webhook"),
]
