"""The queue and search page cache: a repeated request costs no query beyond the session and
the user, and any change to a case, a saved view or the user's flash messages shows at once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontline.accounts.choices import Role
from frontline.cases import queue_cache, saved_views, selectors, services
from frontline.cases.filters import CaseFilter
from frontline.core.tests.queries import REQUEST_QUERIES

from .factories import MembershipFactory, TeamFactory, UserFactory, make_case

pytestmark = pytest.mark.django_db

QUEUE = "/cases/?tab=team"


@pytest.fixture(autouse=True)
def page_cache(settings):
    """The cache on, in a local-memory cache of this test's own (Redis-backed runs too)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "queue-cache"}
    }
    settings.QUEUE_PAGE_CACHE_SECONDS = 60
    selectors.queue_choices_clear()


@pytest.fixture
def desk():
    return TeamFactory(name="Shipments Desk", slug="shipments")


@pytest.fixture
def sara(desk):
    user = UserFactory(username="sara", role=Role.AGENT, first_name="Sara", last_name="Lind")
    MembershipFactory(team=desk, user=user)
    return user


@pytest.fixture
def omar(desk):
    user = UserFactory(username="omar", role=Role.TECH, first_name="Omar", last_name="Haddad")
    MembershipFactory(team=desk, user=user)
    return user


def warm(client, url: str = QUEUE, **headers: str):
    """The first request sets the CSRF cookie; the second, with it, is rendered and stored."""
    client.get(url, headers=headers)
    return client.get(url, headers=headers)


def test_a_repeated_queue_request_is_served_from_the_cache(client, sara, desk, django_assert_num_queries):
    make_case(subject="Parcel never arrived", team_id=desk.pk)
    client.force_login(sara)
    first = warm(client)

    with django_assert_num_queries(REQUEST_QUERIES):
        again = client.get(QUEUE)

    assert again.status_code == 200
    assert again.content == first.content
    assert "Parcel never arrived" in again.content.decode()


def test_a_new_case_shows_on_the_next_request(client, sara, desk, django_capture_on_commit_callbacks):
    make_case(subject="Parcel never arrived", team_id=desk.pk)
    client.force_login(sara)
    warm(client)

    with django_capture_on_commit_callbacks(execute=True):
        make_case(subject="Wrong size delivered", team_id=desk.pk)

    assert "Wrong size delivered" in client.get(QUEUE).content.decode()


def test_a_status_change_shows_on_the_next_request(client, sara, desk, django_capture_on_commit_callbacks):
    case = make_case(subject="Parcel never arrived", team_id=desk.pk)
    client.force_login(sara)
    assert "Parcel never arrived" in warm(client).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        services.case_status_set(case_id=case.pk, by=sara, status="resolved")

    assert "Parcel never arrived" not in client.get(QUEUE).content.decode()


def test_a_new_saved_view_shows_on_the_next_request(client, sara, desk, django_capture_on_commit_callbacks):
    client.force_login(sara)
    warm(client)

    with django_capture_on_commit_callbacks(execute=True):
        saved_views.saved_view_create(by=sara, name="Urgent parcels", filters=CaseFilter(tab="all"))

    assert "Urgent parcels" in client.get(QUEUE).content.decode()


def test_each_user_gets_their_own_page(client, sara, omar, desk):
    make_case(subject="Parcel never arrived", team_id=desk.pk)
    client.force_login(sara)
    sara_page = warm(client).content.decode()
    client.force_login(omar)

    omar_page = warm(client).content.decode()

    assert sara_page != omar_page
    # The navigation names the signed-in user and their role.
    assert "Technical support" in omar_page or "Tech" in omar_page
    assert '<span class="badge text-bg-secondary d-lg-none d-xxl-inline">Agent</span>' in sara_page
    assert '<span class="badge text-bg-secondary d-lg-none d-xxl-inline">Agent</span>' not in omar_page


def test_a_page_with_flash_messages_is_neither_served_from_nor_stored_in_the_cache(client, sara, desk):
    client.force_login(sara)
    warm(client)
    # Setting availability flashes "You are away." and redirects back to a page.
    client.post(reverse("cases:availability"), {"availability": "away"})

    page = client.get(QUEUE).content.decode()

    assert "You are away." in page
    assert "You are away." not in client.get(QUEUE).content.decode()


def test_without_a_csrf_cookie_nothing_is_cached(client, sara, desk, django_assert_num_queries):
    client.force_login(sara)
    client.get(QUEUE)
    client.cookies.pop("csrftoken", None)

    key = queue_cache.page_key(client.get(QUEUE).wsgi_request)

    assert key is None


def test_htmx_fragments_are_cached_apart_from_the_page(client, sara, desk):
    make_case(subject="Parcel never arrived", team_id=desk.pk)
    client.force_login(sara)
    page = warm(client)

    fragment = warm(client, HX_Request="true", HX_Target="queue-results")

    assert b"<html" in page.content
    assert b"<html" not in fragment.content
    assert b"Parcel never arrived" in fragment.content


def test_search_pages_are_cached_and_see_new_messages(
    client, sara, desk, django_assert_num_queries, django_capture_on_commit_callbacks
):
    case = make_case(subject="Parcel never arrived", team_id=desk.pk)
    client.force_login(sara)
    url = "/cases/search/?q=kangaroo"
    assert "Parcel never arrived" not in warm(client, url).content.decode()
    with django_assert_num_queries(REQUEST_QUERIES):
        client.get(url)

    with django_capture_on_commit_callbacks(execute=True):
        services.message_reply(case_id=case.pk, by=sara, body="The kangaroo ate it.", internal=True)

    assert "Parcel never arrived" in client.get(url).content.decode()


def test_off_when_the_setting_is_zero(client, sara, desk, settings):
    settings.QUEUE_PAGE_CACHE_SECONDS = 0
    client.force_login(sara)
    warm(client)

    assert queue_cache.page_key(client.get(QUEUE).wsgi_request) is None
