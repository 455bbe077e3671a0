"""Staff pages under /cases/: the queue, search and settings pages (queue_views) and the case
page with its actions (case_views). References are numeric, so they never collide with the
named pages."""

from django.urls import path

from . import case_views, proactive, queue_views

app_name = "cases"

urlpatterns = [
    *queue_views.urlpatterns,
    *case_views.urlpatterns,
    path("proactive/<int:exception_id>/", proactive.proactive_case, name="proactive_case"),
]
