from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "orders"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.tracker, name="tracker"),
    path("<int:pk>/", views.order_detail, name="order_detail"),
    path("<int:pk>/holds/", views.hold_place, name="hold_place"),
    path("<int:pk>/holds/<int:hold_pk>/release/", views.hold_release, name="hold_release"),
    path("<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("customer/<int:customer_id>/", views.customer_orders, name="customer_orders"),
]
