from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.stock_levels, name="stock_levels"),
    path("products/<int:pk>/adjust/", views.stock_adjust, name="stock_adjust"),
    path("inbound/", views.inbound_list, name="inbound_list"),
    path("inbound/<int:pk>/", views.inbound_detail, name="inbound_detail"),
    path("inbound/<int:pk>/receive/", views.inbound_receive, name="inbound_receive"),
    path("inbound/<int:pk>/reschedule/", views.inbound_reschedule, name="inbound_reschedule"),
]
