"""Intake pages: the public support form (no login) and the agents' phone-call log."""

from django.urls import path

from . import views

app_name = "inbox"

urlpatterns = [
    path("support/new/", views.support_new, name="support_new"),
    path("support/thanks/", views.support_thanks, name="support_thanks"),
    path("inbox/call/", views.call_log, name="call_log"),
]
