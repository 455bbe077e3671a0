"""Mounted at /track/: the public tracking page and shipments' tracking links."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "portal"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.track, name="track"),
    path("<str:token>/", views.track_link, name="track_link"),
]
