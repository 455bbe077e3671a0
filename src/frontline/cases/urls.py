"""Staff pages under /cases/: the queue, search and settings pages (queue_views) and the case
page with its actions (case_views). References are numeric, so they never collide with the
named pages."""

from django.urls import path, re_path

from . import case_views, order_panel, proactive, product_panel, queue_views

app_name = "cases"

urlpatterns = [
    *queue_views.urlpatterns,
    *case_views.urlpatterns,
    path("proactive/<int:exception_id>/", proactive.proactive_case, name="proactive_case"),
    re_path(r"^(?P<reference>\d{1,20})/orders/$", order_panel.case_orders_panel, name="case_orders"),
    re_path(r"^(?P<reference>\d{1,20})/product/$", product_panel.case_product_panel, name="case_product"),
]
