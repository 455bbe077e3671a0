"""The case page's "Product" panel: live stock for the product the case is about.

"Is it still in stock? When would it arrive?" (seed 000) is answered inside the case: when the
case's ``product_sku`` field names a product in the catalogue, the panel shows its availability,
the earliest ship and delivery dates, the next restock and how often it was backordered, with a
link to Live Stock Levels. Loaded after the page by HTMX (``hx-trigger="load"``), so the case
page itself runs no catalogue query.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from frontline.accounts import roles
from frontline.catalog import selectors as catalog_selectors
from frontline.catalog.selectors import ProductDetail
from frontline.core.access import require_permissions
from frontline.core.errors import NotFound

from . import selectors

PRODUCT_FIELD = "product_sku"


def case_product(*, user: object, reference: str) -> tuple[str, ProductDetail | None]:
    """The case's product SKU and, when the catalogue has it, its detail (2 + 7 queries)."""
    row = selectors.cases_visible_to(user).filter(reference=reference).values("custom_fields").first()
    if row is None:
        raise Http404(_("Case not found."))
    sku = str((row["custom_fields"] or {}).get(PRODUCT_FIELD) or "").strip()
    if not sku:
        return "", None
    try:
        product = catalog_selectors.product_get_by_sku(sku=sku)
    except NotFound:
        return sku, None
    return sku, catalog_selectors.product_detail_of(product)


@require_GET
@require_permissions(roles.WORKSPACE, roles.CASE_VIEW, roles.STOCK_VIEW)
def case_product_panel(request: HttpRequest, reference: str) -> HttpResponse:
    sku, detail = case_product(user=request.user, reference=reference)
    return render(request, "cases/partials/_case_product.html", {"sku": sku, "detail": detail})
