from django.contrib import admin
from django.urls import include, path

from . import health
from .api import api

admin.site.site_header = "Frontline administration"
admin.site.site_title = "Frontline admin"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("accounts/", include("frontline.accounts.urls")),
    path("audit/", include("frontline.audit.urls")),
    path("customers/", include("frontline.customers.urls")),
    path("cases/", include("frontline.cases.urls")),
    path("stock/", include("frontline.catalog.urls")),
    path("orders/", include("frontline.orders.urls")),
    path("", include("frontline.shipping.urls")),
    path("", include("frontline.inbox.urls")),
    path("track/", include("frontline.portal.urls")),
    path("", include("frontline.workspace.urls")),
]
