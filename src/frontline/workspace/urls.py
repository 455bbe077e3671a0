from django.urls import path

from . import exceptions_views, views

app_name = "workspace"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.quick_search, name="quick_search"),
    path("exceptions/", exceptions_views.exception_dashboard, name="exceptions"),
    path("exceptions/<int:pk>/assign/", exceptions_views.exception_assign, name="exception_assign"),
    path(
        "exceptions/<int:pk>/acknowledge/",
        exceptions_views.exception_acknowledge,
        name="exception_acknowledge",
    ),
    path("exceptions/<int:pk>/resolve/", exceptions_views.exception_resolve, name="exception_resolve"),
]
