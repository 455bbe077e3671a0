"""The case page's "Product" panel (``cases/product_panel.py``): live stock for the case's SKU."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontline.accounts.choices import Role
from frontline.accounts.tests.factories import UserFactory
from frontline.cases.models import CustomField
from frontline.cases.tests.factories import make_case
from frontline.catalog import services as catalog_services
from frontline.catalog.tests.factories import make_product, make_warehouse, stock
from frontline.core.tests.queries import REQUEST_QUERIES

pytestmark = pytest.mark.django_db


@pytest.fixture
def sku_field():
    return CustomField.objects.create(key="product_sku", label="Product SKU", field_type="text")


@pytest.fixture
def headphones():
    ber = make_warehouse("BER", name="Berlin")
    catalog_services.transit_time_set(
        warehouse_id=ber.pk, carrier_code="dhl", business_days=1, by=None, is_default=True
    )
    product = make_product("AS-X2-BLK", name="AuraSound X2 wireless headphones", low_stock_threshold=25)
    stock(product, ber, 12)
    return product


@pytest.fixture
def agent(client):
    user = UserFactory(username="sara", role=Role.AGENT)
    client.force_login(user)
    return user


def test_the_case_page_loads_the_panel_and_it_shows_the_products_stock(client, agent, sku_field, headphones):
    case = make_case(subject="Still in stock?", custom_fields={"product_sku": "AS-X2-BLK"})
    url = reverse("cases:case_product", args=[case.reference])

    page = client.get(case.get_absolute_url()).content.decode()
    html = client.get(url).content.decode()

    assert f'hx-get="{url}"' in page
    assert "AuraSound X2 wireless headphones" in html and "Low stock" in html
    assert 'id="case-product-facts"' in html and f"?product={headphones.pk}" in html


def test_no_panel_without_a_sku_and_a_clear_line_for_an_unknown_one(client, agent, sku_field, headphones):
    plain = make_case(subject="Hello")
    unknown = make_case(subject="Old model", custom_fields={"product_sku": "XX-OLD"})

    assert (
        reverse("cases:case_product", args=[plain.reference])
        not in client.get(plain.get_absolute_url()).content.decode()
    )
    html = client.get(reverse("cases:case_product", args=[unknown.reference])).content.decode()
    assert "No product with the SKU “XX-OLD”" in html


def test_a_fixed_number_of_queries(client, agent, sku_field, headphones, django_assert_num_queries):
    case = make_case(subject="Still in stock?", custom_fields={"product_sku": "AS-X2-BLK"})
    url = reverse("cases:case_product", args=[case.reference])
    client.get(url)

    # the case's field, the product by SKU, then the stock page's product detail (availability:
    # warehouses, levels, inbound lines, transit times - the first and last come from the
    # warehouse cache in production; inbound, backorder periods, movements)
    with django_assert_num_queries(REQUEST_QUERIES + 9):
        client.get(url)


def test_who_may_not_see_stock_gets_403_and_an_invisible_case_404(client, sku_field):
    case = make_case(subject="Still in stock?", custom_fields={"product_sku": "AS-X2-BLK"})
    client.force_login(UserFactory(role=Role.CUSTOMER))
    assert client.get(reverse("cases:case_product", args=[case.reference])).status_code == 403

    client.force_login(UserFactory(username="sara", role=Role.AGENT))
    assert client.get(reverse("cases:case_product", args=["99999"])).status_code == 404
