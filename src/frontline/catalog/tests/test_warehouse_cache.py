"""The per-process cache of warehouses and transit times: a change is seen by the next request,
in this process and (through the shared version) in every other one; a transaction that made
a change sees its own rows; without a shared cache it is off."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from frontline.accounts.choices import Role
from frontline.catalog import selectors, services, warehouse_cache
from frontline.catalog.models import TransitTime, Warehouse
from frontline.core.tests.queries import REQUEST_QUERIES

from .factories import UserFactory, make_product, make_warehouse, stock

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
MONDAY, TUESDAY, WEDNESDAY, THURSDAY = (date(2026, 3, d) for d in (2, 3, 4, 5))


@pytest.fixture
def cache_on(settings) -> Iterator[None]:
    settings.CATALOG_WAREHOUSE_CACHE = True
    warehouse_cache._kept = None
    yield
    warehouse_cache._kept = None  # a flush at the end of a transactional test sends no signal


def promise_of(product_id: int):
    return selectors.availability_for_products(
        products=[selectors.product_get(product_id=product_id)], now=MONDAY_9
    )[product_id].promise


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class TestCommittedChanges:
    """Real commits, as in production: the services, the admin's plain saves, another process."""

    @pytest.fixture
    def ber(self, cache_on) -> Warehouse:
        warehouse = make_warehouse("BER", handling_days=0, cutoff_time=time(14, 0))
        services.transit_time_set(
            warehouse_id=warehouse.pk, carrier_code="dhl", business_days=1, by=None, is_default=True
        )
        return warehouse

    @pytest.fixture
    def product_id(self, ber) -> int:
        product = make_product("HP-100", name="Wireless headphones")
        stock(product, ber, 5)
        return product.pk

    def test_the_second_call_reads_neither_table(self, product_id, django_assert_num_queries):
        # product, warehouses, transit times, stock levels, inbound lines
        with django_assert_num_queries(5):
            assert promise_of(product_id).delivery_date == TUESDAY
        # product, stock levels, inbound lines
        with django_assert_num_queries(3):
            assert promise_of(product_id).delivery_date == TUESDAY

    def test_a_transit_time_changed_by_the_service_is_seen_by_the_next_call(self, ber, product_id):
        promise_of(product_id)

        services.transit_time_set(
            warehouse_id=ber.pk, carrier_code="dhl", business_days=3, by=None, is_default=True
        )

        assert promise_of(product_id).delivery_date == THURSDAY

    def test_a_new_faster_default_service_is_seen(self, ber, product_id):
        promise_of(product_id)

        services.transit_time_set(
            warehouse_id=ber.pk, carrier_code="ups", business_days=0, by=None, is_default=True
        )

        assert promise_of(product_id).delivery_date == MONDAY

    def test_warehouse_edited_and_transit_time_deleted_in_the_admin_are_seen(self, ber, product_id):
        promise_of(product_id)

        ber.handling_days = 2  # the admin saves the model as it is
        ber.save()
        assert promise_of(product_id).ship_date == WEDNESDAY

        TransitTime.objects.get(warehouse=ber).delete()
        assert promise_of(product_id).delivery_date is None

    def test_a_deactivated_warehouse_is_gone_at_once(self, ber, product_id):
        assert promise_of(product_id) is not None

        ber.is_active = False
        ber.save(update_fields=["is_active"])

        availability = selectors.availability_for_products(
            products=[selectors.product_get(product_id=product_id)], now=MONDAY_9
        )[product_id]
        assert (availability.warehouses, availability.promise, availability.on_hand) == ([], None, 0)

    def test_a_change_reported_by_another_process_is_seen(self, ber, product_id):
        promise_of(product_id)
        # Another process changes the row and, after its commit, the shared version (its own
        # receiver does that); here the row changes without a signal to show the cache is used.
        TransitTime.objects.filter(warehouse=ber).update(business_days=2)
        assert promise_of(product_id).delivery_date == TUESDAY  # still this process's copy

        cache.set(warehouse_cache.VERSION_KEY, "changed-by-another-process", timeout=None)

        assert promise_of(product_id).delivery_date == WEDNESDAY

    def test_a_lost_version_starts_a_new_one(self, ber, product_id):
        promise_of(product_id)
        TransitTime.objects.filter(warehouse=ber).update(business_days=3)

        cache.delete(warehouse_cache.VERSION_KEY)  # evicted, or the cache was flushed

        assert promise_of(product_id).delivery_date == THURSDAY
        assert cache.get(warehouse_cache.VERSION_KEY)

    def test_search_page_with_warm_cache_runs_two_queries_fewer(
        self, ber, product_id, client, django_assert_num_queries
    ):
        client.force_login(UserFactory(username="reporter", role=Role.REPORTER))
        url, headers = reverse("catalog:stock_levels"), {"HX-Request": "true", "HX-Target": "stock-results"}
        with time_machine.travel(MONDAY_9, tick=False):
            client.get(url, {"q": "HP"}, headers=headers)
            # search: full-text ids, then the matching products; availability: levels, inbound lines
            with django_assert_num_queries(REQUEST_QUERIES + 4):
                body = client.get(url, {"q": "HP"}, headers=headers).content.decode()
            assert f'data-product-id="{product_id}"' in body and "Mon 2 Mar" in body

            ber.cutoff_time = time(8, 0)  # the admin moves the cut-off before 9:00: ships Tuesday
            ber.save()
            # ... plus warehouses and transit times, read again
            with django_assert_num_queries(REQUEST_QUERIES + 6):
                body = client.get(url, {"q": "HP"}, headers=headers).content.decode()
            assert "Tue 3 Mar" in body and "Mon 2 Mar" not in body


@pytest.mark.django_db
def test_a_transaction_that_changed_warehouses_sees_its_own_rows_and_fills_nothing(cache_on):
    # Given a copy in this process that is current for the shared version
    cache.set(warehouse_cache.VERSION_KEY, "v1", timeout=None)
    warehouse_cache._kept = ("v1", float("inf"), warehouse_cache.Warehouses((), {}))

    # When this transaction creates a warehouse (not committed yet)
    ber = make_warehouse("BER")

    # Then it reads its own rows from the database and keeps nothing it could roll back
    assert [w.code for w in warehouse_cache.get().active] == ["BER"]
    assert warehouse_cache._kept is None
    assert cache.get(warehouse_cache.VERSION_KEY) != "v1"  # other processes read them again now
    assert selectors.warehouses_active() == [ber]


def test_off_without_a_shared_cache_unless_the_setting_says_so(settings):
    settings.CATALOG_WAREHOUSE_CACHE = None
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert not warehouse_cache.enabled()
    settings.CACHES = {
        "default": {"BACKEND": "frontline.core.redis_cache.RedisCache", "LOCATION": "redis://x"}
    }
    assert warehouse_cache.enabled()
    settings.CATALOG_WAREHOUSE_CACHE = False
    assert not warehouse_cache.enabled()
