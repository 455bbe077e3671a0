"""The staff pages of the customer 360 slice: permissions, search, forms, merge, query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from frontline.accounts.choices import Role
from frontline.audit.models import AuditEntry
from frontline.core.tests.queries import REQUEST_QUERIES
from frontline.customers import selectors, services
from frontline.customers.choices import CustomerStatus, InteractionKind
from frontline.customers.models import (
    Address,
    ContactPoint,
    Customer,
    Interaction,
    MergeRecord,
)
from frontline.customers.services import AddressInput, ContactInput
from frontline.customers.views import TIMELINE_PAGE

from .factories import CustomerFactory, InteractionFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def htmx(target: str) -> dict[str, str]:
    return {"HX-Request": "true", "HX-Target": target}


@pytest.fixture
def agent():
    return UserFactory(username="sara", role=Role.AGENT)


@pytest.fixture
def lead():
    return UserFactory(username="isabella", role=Role.LEAD)


@pytest.fixture
def reporter():
    return UserFactory(username="elias", role=Role.REPORTER)


@pytest.fixture
def tech():
    return UserFactory(username="omar", role=Role.TECH)


@pytest.fixture
def portal_user():
    return UserFactory(username="justine", role=Role.CUSTOMER)


@pytest.fixture
def justine(agent):
    return CustomerFactory(
        first_name="Justine",
        last_name="Harrington",
        email="justine@example.com",
        phone="+1 555 123 4567",
        org="Acme Retail",
        tags=["vip"],
        ext={"shop": "C-1001"},
        language="en",
        by=agent,
    )


@pytest.fixture
def as_agent(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def as_lead(client, lead):
    client.force_login(lead)
    return client


def names(response) -> list[str]:
    return [c.full_name for c in response.context["page"].customers]


def used(response) -> list[str]:
    return [t.name for t in response.templates]


# --- permissions ----------------------------------------------------------------------------


def _staff_urls(customer: Customer, other: Customer) -> list[tuple[str, str]]:
    pk = customer.pk
    # Ids of parts that may not exist: access is refused before anything is looked up.
    point = getattr(customer.contact_points.first(), "pk", 1)
    address = getattr(customer.addresses.first(), "pk", 1)
    ext = getattr(customer.external_ids.first(), "pk", 1)
    return [
        ("get", reverse("customers:customer_list")),
        ("get", reverse("customers:customer_create")),
        ("post", reverse("customers:customer_create")),
        ("get", reverse("customers:duplicate_list")),
        ("get", reverse("customers:organisation_options") + "?org=Ac"),
        ("get", reverse("customers:customer_detail", args=[pk])),
        ("get", reverse("customers:customer_edit", args=[pk])),
        ("post", reverse("customers:customer_edit", args=[pk])),
        ("post", reverse("customers:interaction_log", args=[pk])),
        ("post", reverse("customers:contact_add", args=[pk])),
        ("post", reverse("customers:contact_remove", args=[pk, point])),
        ("post", reverse("customers:contact_primary", args=[pk, point])),
        ("post", reverse("customers:address_add", args=[pk])),
        ("post", reverse("customers:address_remove", args=[pk, address])),
        ("post", reverse("customers:external_id_set", args=[pk])),
        ("post", reverse("customers:external_id_remove", args=[pk, ext])),
        ("get", reverse("customers:customer_merge", args=[pk])),
        ("get", reverse("customers:customer_merge", args=[pk]) + f"?other={other.pk}"),
        ("post", reverse("customers:customer_merge", args=[pk])),
        ("post", reverse("customers:merge_reverse", args=[pk, 1])),
    ]


class TestPermissions:
    def test_a_portal_customer_gets_403_on_every_staff_page_even_for_their_own_record(
        self, client, agent, portal_user
    ):
        mine = CustomerFactory(
            address=AddressInput(line1="1 Road", city="Town", country="US"), ext={"shop": "1"}
        )
        Customer.objects.filter(pk=mine.pk).update(user=portal_user)
        other = CustomerFactory()
        client.force_login(portal_user)
        before = (Customer.objects.count(), ContactPoint.objects.count(), Interaction.objects.count())

        for method, url in _staff_urls(mine, other):
            response = getattr(client, method)(
                url, {"reason": "x", "other": other.pk, "survivor": mine.pk} if method == "post" else None
            )
            assert response.status_code == 403, (method, url, response.status_code)

        assert (Customer.objects.count(), ContactPoint.objects.count(), Interaction.objects.count()) == before

    def test_anonymous_users_are_sent_to_the_login_page(self, client, justine):
        other = CustomerFactory()
        for method, url in _staff_urls(justine, other):
            response = getattr(client, method)(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("accounts:login")), url

    def test_reporter_views_and_edits_but_cannot_create_or_merge(self, client, reporter, justine):
        other = CustomerFactory()
        client.force_login(reporter)

        assert client.get(reverse("customers:customer_list")).status_code == 200
        detail = client.get(justine.get_absolute_url())
        assert detail.status_code == 200
        assert detail.context["can_change"] is True
        assert detail.context["can_merge"] is False
        assert reverse("customers:customer_merge", args=[justine.pk]) not in detail.content.decode()
        assert client.get(reverse("customers:customer_edit", args=[justine.pk])).status_code == 200
        assert client.get(reverse("customers:customer_create")).status_code == 403
        assert client.get(reverse("customers:duplicate_list")).status_code == 403
        merge_url = reverse("customers:customer_merge", args=[justine.pk])
        assert client.get(merge_url, {"other": other.pk}).status_code == 403
        response = client.post(merge_url, {"other": other.pk, "survivor": justine.pk, "reason": "same"})
        assert response.status_code == 403
        assert MergeRecord.objects.count() == 0

    def test_tech_can_only_look(self, client, tech, justine):
        client.force_login(tech)

        detail = client.get(justine.get_absolute_url())

        assert detail.status_code == 200
        assert detail.context["interaction_form"] is None
        assert client.get(reverse("customers:customer_edit", args=[justine.pk])).status_code == 403
        response = client.post(
            reverse("customers:interaction_log", args=[justine.pk]),
            {"kind": "call", "channel": "phone", "direction": "inbound", "summary": "hi"},
        )
        assert response.status_code == 403
        assert not Interaction.objects.filter(summary="hi").exists()

    def test_unknown_customer_is_404(self, as_agent):
        assert as_agent.get(reverse("customers:customer_detail", args=[999999])).status_code == 404

    def test_parts_of_another_customer_are_404_and_untouched(self, as_agent, justine):
        other = CustomerFactory(email="other@example.com")
        point = other.contact_points.get()

        response = as_agent.post(reverse("customers:contact_remove", args=[justine.pk, point.pk]))

        assert response.status_code == 404
        assert ContactPoint.objects.filter(pk=point.pk).exists()


# --- the list -------------------------------------------------------------------------------


class TestCustomerList:
    @pytest.fixture
    def people(self, agent, justine):
        return {
            "justine": justine,
            "thomas": CustomerFactory(
                first_name="Thomas", last_name="Becker", email="t.becker@spareparts.example",
                org="SparePartsPro GmbH", language="de", tags=["wholesale"], marketing_consent=True,
            ),
            "jose": CustomerFactory(first_name="José", last_name="Álvarez", email="jose@ejemplo.es", language="es",
                                    ext={"erp": "ERP-77"}),
        }  # fmt: skip

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("harr", ["Justine Harrington"]),  # partial name
            ("justine@exam", ["Justine Harrington"]),  # partial email
            ("t.becker", ["Thomas Becker"]),
            ("4567", ["Justine Harrington"]),  # end of the phone number
            ("555 123", ["Justine Harrington"]),  # part of the phone number as typed
            ("sparepartspro", ["Thomas Becker"]),  # organisation
            ("acme", ["Justine Harrington"]),
            ("C-1001", ["Justine Harrington"]),  # external id
            ("ERP-77", ["José Álvarez"]),
            ("alvarez", ["José Álvarez"]),  # accents folded
            ("nobody", []),
        ],
    )
    def test_search_finds_by_partial_name_email_phone_organisation_external_id(
        self, as_agent, people, query, expected
    ):
        response = as_agent.get(reverse("customers:customer_list"), {"q": query})

        assert response.status_code == 200
        assert names(response) == expected

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"org": "sparepartspro gmbh"}, ["Thomas Becker"]),
            ({"org": "Nope Inc"}, []),
            ({"tag": "vip"}, ["Justine Harrington"]),
            ({"language": "es"}, ["José Álvarez"]),
            ({"consent": "yes"}, ["Thomas Becker"]),
            ({"consent": "no"}, ["José Álvarez", "Justine Harrington"]),
            ({"q": "e", "tag": "wholesale"}, ["Thomas Becker"]),
        ],
    )
    def test_filters(self, as_agent, people, params, expected):
        response = as_agent.get(reverse("customers:customer_list"), params)

        assert sorted(names(response)) == expected

    @pytest.mark.parametrize(
        ("sort", "expected"),
        [
            ("name", ["Ann Adams", "Bea Baker", "Cy Clark"]),
            ("-name", ["Cy Clark", "Bea Baker", "Ann Adams"]),
            ("created", ["Bea Baker", "Cy Clark", "Ann Adams"]),
            ("-created", ["Ann Adams", "Cy Clark", "Bea Baker"]),
            ("-last_interaction", ["Cy Clark", "Ann Adams", "Bea Baker"]),
        ],
    )
    def test_sort(self, as_agent, agent, sort, expected):
        bea, cy, ann = (
            CustomerFactory(first_name=first, last_name=last)
            for first, last in (("Bea", "Baker"), ("Cy", "Clark"), ("Ann", "Adams"))
        )
        services.interaction_log(
            customer_id=ann.pk,
            by=agent,
            kind="call",
            summary="x",
            occurred_at=timezone.now() - timedelta(days=1),
        )
        services.interaction_log(customer_id=cy.pk, by=agent, kind="call", summary="y")
        base = timezone.now() - timedelta(days=10)
        for offset, customer in enumerate((bea, cy, ann)):
            Customer.objects.filter(pk=customer.pk).update(created_at=base + timedelta(hours=offset))

        response = as_agent.get(reverse("customers:customer_list"), {"sort": sort})

        assert names(response) == expected

    def test_blocked_and_merged_customers_show_only_when_asked(self, as_agent, agent, people):
        services.customer_update(customer_id=people["jose"].pk, by=agent, changes={"status": "blocked"})

        default = as_agent.get(reverse("customers:customer_list"))
        blocked = as_agent.get(reverse("customers:customer_list"), {"status": "blocked"})
        every = as_agent.get(reverse("customers:customer_list"), {"status": "all"})

        assert "José Álvarez" not in names(default)
        assert names(blocked) == ["José Álvarez"]
        assert len(names(every)) == 3

    def test_pagination_links_and_offset(self, as_agent):
        for i in range(30):
            CustomerFactory(first_name="P", last_name=f"Page{i:02d}")

        first = as_agent.get(reverse("customers:customer_list"), {"limit": 25})
        second = as_agent.get(reverse("customers:customer_list"), {"limit": 25, "offset": 25})

        assert first.context["page"].total == 30
        assert len(names(first)) == 25
        assert names(second) == [f"P Page{i:02d}" for i in range(25, 30)]
        assert "offset=25" in first.content.decode()
        labels = [(link.label, link.current) for link in second.context["pagination"].links]
        assert labels == [("«", False), ("1", False), ("2", True), ("»", False)]

    def test_htmx_live_filtering_returns_only_the_results(self, as_agent, people):
        response = as_agent.get(
            reverse("customers:customer_list"), {"q": "becker"}, headers=htmx("customer-results")
        )

        assert response.status_code == 200
        assert used(response)[0] == "customers/partials/_customer_results.html"
        assert "frontline/base.html" not in used(response)
        assert names(response) == ["Thomas Becker"]

    def test_history_restore_gets_the_full_page(self, as_agent, people):
        headers = {**htmx("customer-results"), "HX-History-Restore-Request": "true"}

        response = as_agent.get(reverse("customers:customer_list"), {"q": "becker"}, headers=headers)

        assert used(response)[0] == "customers/customer_list.html"

    def test_columns(self, as_agent, agent, justine):
        services.interaction_log(customer_id=justine.pk, by=agent, kind="call", summary="Hello")

        html = as_agent.get(reverse("customers:customer_list")).content.decode()

        for text in (
            "Justine Harrington",
            "Acme Retail",
            "justine@example.com",
            "+1 555 123 4567",
            "vip",
            "Created",
        ):
            assert text in html

    def test_organisation_autocomplete(self, as_agent, people):
        response = as_agent.get(reverse("customers:organisation_options"), {"org": "spa"})

        assert response.content.decode().strip() == '<option value="SparePartsPro GmbH"></option>'


# --- the 360 page ---------------------------------------------------------------------------


class TestCustomerDetail:
    def test_shows_profile_contacts_preferences_timeline_duplicates_and_audit(self, as_agent, agent, justine):
        twin = CustomerFactory(first_name="Justine", last_name="Harington", email="justine@example.com")
        services.address_add(
            customer_id=justine.pk,
            by=agent,
            address=AddressInput(line1="12 Elm Street", city="Springfield", country="US"),
        )
        services.interaction_log(
            customer_id=justine.pk, by=agent, kind="call", summary="Asked about order A-5567"
        )

        response = as_agent.get(justine.get_absolute_url())
        html = response.content.decode()

        assert response.status_code == 200
        for text in ("Justine Harrington", "Active", "Acme Retail", "vip", "justine@example.com", "+1 555 123 4567",
                     "12 Elm Street", "C-1001", "Time zone", "Preferred channel", "Marketing consent",
                     "Asked about order A-5567", "customer.created", f'data-live-group="customer-{justine.pk}"',
                     'hx-trigger="live-update'):  # fmt: skip
            assert text in html, text
        assert [c.customer.pk for c in response.context["duplicates"]] == [twin.pk]
        assert f"?other={twin.pk}" in html

    def test_merged_record_shows_the_banner_and_no_forms(self, as_lead, lead, justine):
        twin = CustomerFactory(first_name="Justine", last_name="H")
        services.customer_merge(survivor_id=justine.pk, merged_id=twin.pk, by=lead)

        response = as_lead.get(twin.get_absolute_url())

        assert "This record was merged into" in response.content.decode()
        assert justine.get_absolute_url() in response.content.decode()
        assert response.context["interaction_form"] is None
        assert response.context["can_change"] is False

    def test_timeline_filters(self, as_agent, agent, justine):
        services.interaction_log(
            customer_id=justine.pk, by=agent, kind="call", channel="phone", summary="A call"
        )
        services.interaction_log(customer_id=justine.pk, by=agent, kind="note", summary="A note")
        services.interaction_log(
            customer_id=justine.pk, by=agent, kind="email", channel="email", summary="An email"
        )
        url = justine.get_absolute_url()

        def summaries(params):
            response = as_agent.get(url, params, headers=htmx("timeline"))
            assert used(response)[0] == "customers/partials/_timeline.html"
            return [e.summary for e in response.context["timeline"]]

        assert summaries({"kind": ["call", "email"]}) == ["An email", "A call"]
        assert summaries({"channel": "email"}) == ["An email"]
        assert summaries({"hide_internal": "on", "kind": ["note", "call"]}) == ["A call"]

    def test_load_older_is_keyset_paginated(self, as_agent, justine):
        base = timezone.now() - timedelta(days=1)
        for i in range(TIMELINE_PAGE + 5):
            InteractionFactory(
                customer=justine, summary=f"Entry {i:02d}", occurred_at=base + timedelta(minutes=i // 2)
            )

        first = as_agent.get(justine.get_absolute_url())
        older_url = first.context["timeline_older_url"]
        older = as_agent.get(older_url, headers=htmx("timeline-more"))

        newest = [e.summary for e in first.context["timeline"]]
        rest = [e.summary for e in older.context["timeline"]]
        assert len(newest) == TIMELINE_PAGE
        assert used(older)[0] == "customers/partials/_timeline_items.html"
        assert sorted(newest + rest) == sorted(f"Entry {i:02d}" for i in range(TIMELINE_PAGE + 5))
        assert older.context["timeline_older_url"] == ""
        assert 'id="timeline-more"' not in older.content.decode()
        # Without JavaScript, the same URL is a full page.
        assert used(as_agent.get(older_url))[0] == "customers/customer_detail.html"

    def test_log_interaction_with_htmx(self, as_agent, agent, justine):
        response = as_agent.post(
            reverse("customers:interaction_log", args=[justine.pk]),
            {
                "kind": "call",
                "channel": "phone",
                "direction": "outbound",
                "summary": "Called back",
                "body": "ok",
            },
            headers=htmx("interaction-form"),
        )

        assert response.status_code == 200
        assert response["HX-Trigger"] == "timeline-changed"
        entry = Interaction.objects.get(customer=justine, summary="Called back")
        assert (entry.kind, entry.direction, entry.actor, entry.body) == ("call", "outbound", agent, "ok")
        assert (
            AuditEntry.objects.filter(verb="customer.interaction_logged", target_id=str(justine.pk)).count()
            == 1
        )

    def test_log_interaction_without_htmx_redirects(self, as_agent, justine):
        response = as_agent.post(
            reverse("customers:interaction_log", args=[justine.pk]),
            {"kind": "note", "channel": "phone", "direction": "inbound", "summary": "Noted"},
        )

        assert response.status_code == 302
        assert response["Location"] == justine.get_absolute_url()
        assert Interaction.objects.get(summary="Noted").is_internal is True

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"kind": "call", "channel": "phone", "direction": "inbound", "summary": ""}, "summary"),
            ({"kind": "order", "channel": "phone", "direction": "inbound", "summary": "x"}, "kind"),
            (
                {"kind": "call", "channel": "phone", "direction": "inbound", "summary": "x",
                 "occurred_at": (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")},
                "occurred_at",
            ),  # refused by the service: in the future
        ],
    )  # fmt: skip
    def test_invalid_interaction_is_422_and_writes_nothing(self, as_agent, justine, data, field):
        count = Interaction.objects.count()

        response = as_agent.post(
            reverse("customers:interaction_log", args=[justine.pk]), data, headers=htmx("interaction-form")
        )

        assert response.status_code == 422
        assert used(response)[0] == "customers/partials/_interaction_form.html"
        assert field in response.context["interaction_form"].errors
        assert Interaction.objects.count() == count


# --- create and edit ------------------------------------------------------------------------


def _profile(**overrides):
    data = {
        "first_name": "Lena",
        "last_name": "Vogel",
        "organisation": "",
        "job_title": "",
        "language": "de",
        "time_zone": "Europe/Berlin",
        "preferred_channel": "email",
        "tags": "",
        "notes": "",
        "status": "active",
    }
    data.update(overrides)
    return data


class TestCreate:
    def test_creates_with_contacts_organisation_and_tags(self, as_agent, agent):
        response = as_agent.post(
            reverse("customers:customer_create"),
            _profile(email="lena@example.de", phone="+49 30 1234567", organisation="Vogel GmbH", tags="vip, b2b",
                     marketing_consent="on"),
        )  # fmt: skip

        customer = Customer.objects.get(last_name="Vogel")
        assert response.status_code == 302
        assert response["Location"] == customer.get_absolute_url()
        assert customer.organisation.name == "Vogel GmbH"
        assert sorted(customer.tags.values_list("name", flat=True)) == ["b2b", "vip"]
        assert sorted(customer.contact_points.values_list("normalized", flat=True)) == [
            "+49301234567",
            "lena@example.de",
        ]
        assert customer.marketing_consent and customer.marketing_consent_at is not None
        assert AuditEntry.objects.get(verb="customer.created", target_id=str(customer.pk)).actor == agent

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            (_profile(first_name="", last_name=""), "last_name"),  # service: a name or a contact
            (_profile(email="not-an-email"), "email"),  # form
            (_profile(phone="12"), "phone"),  # service: contacts[n] mapped back to the field
            (_profile(time_zone="Mars/Olympus"), "time_zone"),
            (_profile(tags="x" * 51), "tags"),
        ],
    )
    def test_invalid_input_is_422_with_the_message_on_the_field_and_writes_nothing(
        self, as_agent, data, field
    ):
        response = as_agent.post(reverse("customers:customer_create"), data, headers=htmx("customer-form"))

        assert response.status_code == 422
        assert used(response)[0] == "customers/partials/_customer_form.html"
        assert field in response.context["form"].errors
        assert "is-invalid" in response.content.decode()
        assert Customer.objects.count() == 0
        assert ContactPoint.objects.count() == 0
        assert AuditEntry.objects.filter(verb="customer.created").count() == 0

    def test_invalid_input_without_htmx_renders_the_full_page(self, as_agent):
        response = as_agent.post(reverse("customers:customer_create"), _profile(first_name="", last_name=""))

        assert response.status_code == 422
        assert used(response)[0] == "customers/customer_form.html"


class TestEdit:
    def test_saves_profile_organisation_tags_and_records_changes(self, as_agent, agent, justine):
        response = as_agent.post(
            reverse("customers:customer_edit", args=[justine.pk]),
            _profile(
                first_name="Justine", last_name="Harrington-Smith", organisation="Globex", tags="vip, returns"
            ),
            headers=htmx("customer-form"),
        )

        justine.refresh_from_db()
        assert response.status_code == 204
        assert response["HX-Redirect"] == justine.get_absolute_url()
        assert justine.last_name == "Harrington-Smith"
        assert justine.organisation.name == "Globex"
        assert justine.time_zone == "Europe/Berlin"
        assert sorted(justine.tags.values_list("name", flat=True)) == ["returns", "vip"]
        changes = AuditEntry.objects.get(verb="customer.updated").data["changes"]
        assert changes["last_name"] == ["Harrington", "Harrington-Smith"]
        assert changes["tags"] == [["vip"], ["returns", "vip"]]

    def test_form_shows_current_values(self, as_agent, justine):
        form = as_agent.get(reverse("customers:customer_edit", args=[justine.pk])).context["form"]

        assert form.initial["organisation"] == "Acme Retail"
        assert form.initial["tags"] == "vip"

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            (_profile(tags="ok, " + "x" * 51), "tags"),  # the service refuses after the profile was set
            (_profile(language="x"), "language"),
            (_profile(status="merged"), "status"),
            (_profile(preferred_channel="pigeon"), "preferred_channel"),
        ],
    )
    def test_refused_edit_is_422_and_changes_nothing(self, as_agent, justine, data, field):
        response = as_agent.post(
            reverse("customers:customer_edit", args=[justine.pk]), data, headers=htmx("customer-form")
        )

        fresh = Customer.objects.get(pk=justine.pk)
        assert response.status_code == 422
        assert field in response.context["form"].errors
        assert (fresh.first_name, fresh.last_name, fresh.language, fresh.time_zone) == (
            "Justine", "Harrington", "en", "UTC",
        )  # fmt: skip
        assert list(fresh.tags.values_list("name", flat=True)) == ["vip"]
        assert AuditEntry.objects.filter(verb="customer.updated").count() == 0

    def test_merged_customer_cannot_be_edited(self, as_lead, lead, justine):
        twin = CustomerFactory()
        services.customer_merge(survivor_id=justine.pk, merged_id=twin.pk, by=lead)

        response = as_lead.post(reverse("customers:customer_edit", args=[twin.pk]), _profile())

        assert response.status_code == 422
        assert "merged into" in str(response.context["form"].non_field_errors())
        assert Customer.objects.get(pk=twin.pk).last_name != "Vogel"


class TestContactsAddressesIds:
    def test_add_contact_returns_the_section(self, as_agent, justine):
        response = as_agent.post(
            reverse("customers:contact_add", args=[justine.pk]),
            {"kind": "email", "value": "J.Harrington@Work.example", "label": "work", "is_primary": "on"},
            headers=htmx("contact-points"),
        )

        assert response.status_code == 200
        assert used(response)[0] == "customers/partials/_contact_points.html"
        assert "J.Harrington@Work.example" in response.content.decode()
        primary = justine.contact_points.get(kind="email", is_primary=True)
        assert (primary.value, primary.normalized, primary.label) == (
            "J.Harrington@Work.example", "j.harrington@work.example", "work",
        )  # fmt: skip

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"kind": "email", "value": "nope"}, "Enter a valid email address."),
            ({"kind": "email", "value": "JUSTINE@example.com"}, "already recorded"),
            ({"kind": "social", "value": "@justine"}, "Choose the social platform"),
            ({"kind": "phone", "value": "abc"}, "Enter a valid phone number"),
        ],
    )
    def test_refused_contact_is_422_with_the_message_and_no_row(self, as_agent, justine, data, message):
        count = ContactPoint.objects.count()

        response = as_agent.post(
            reverse("customers:contact_add", args=[justine.pk]), data, headers=htmx("contact-points")
        )

        assert response.status_code == 422
        assert message in response.content.decode()
        assert ContactPoint.objects.count() == count

    def test_set_primary_and_remove(self, as_agent, agent, justine):
        second = services.contact_point_add(
            customer_id=justine.pk, by=agent, contact=ContactInput(kind="email", value="second@example.com")
        )

        as_agent.post(reverse("customers:contact_primary", args=[justine.pk, second.pk]), headers=HTMX)
        assert justine.contact_points.get(kind="email", is_primary=True).pk == second.pk

        response = as_agent.post(reverse("customers:contact_remove", args=[justine.pk, second.pk]))
        assert response.status_code == 302
        assert response["Location"] == reverse("customers:customer_edit", args=[justine.pk])
        assert justine.contact_points.get(kind="email", is_primary=True).value == "justine@example.com"

    def test_add_and_remove_address(self, as_agent, justine):
        response = as_agent.post(
            reverse("customers:address_add", args=[justine.pk]),
            {
                "kind": "shipping",
                "line1": "12 Elm Street",
                "city": "Springfield",
                "country": "us",
                "is_primary": "on",
            },
            headers=htmx("addresses"),
        )
        address = justine.addresses.get()
        assert response.status_code == 200
        assert (address.country, address.is_primary) == ("US", True)

        as_agent.post(reverse("customers:address_remove", args=[justine.pk, address.pk]), headers=HTMX)
        assert not justine.addresses.exists()

    def test_refused_address_is_422(self, as_agent, justine):
        response = as_agent.post(
            reverse("customers:address_add", args=[justine.pk]),
            {"kind": "shipping", "line1": "12 Elm Street", "city": "Springfield", "country": "1X"},
            headers=htmx("addresses"),
        )

        assert response.status_code == 422
        assert "two-letter ISO country code" in response.content.decode()
        assert not Address.objects.exists()

    def test_set_and_remove_external_id(self, as_agent, justine):
        as_agent.post(
            reverse("customers:external_id_set", args=[justine.pk]),
            {"system": "ERP", "value": "E-1"},
            headers=HTMX,
        )
        ext = justine.external_ids.get(system="erp")
        assert ext.value == "E-1"

        as_agent.post(reverse("customers:external_id_remove", args=[justine.pk, ext.pk]), headers=HTMX)
        assert not justine.external_ids.filter(system="erp").exists()

    def test_external_id_of_someone_else_is_refused(self, as_agent, justine):
        other = CustomerFactory(ext={"erp": "E-9"})

        response = as_agent.post(
            reverse("customers:external_id_set", args=[justine.pk]),
            {"system": "erp", "value": "E-9"},
            headers=HTMX,
        )

        assert response.status_code == 422
        assert f"already belongs to customer {other.pk}" in response.content.decode()
        assert not justine.external_ids.filter(system="erp").exists()


# --- merge ----------------------------------------------------------------------------------


class TestMerge:
    @pytest.fixture
    def twin(self):
        return CustomerFactory(
            first_name="Justine", last_name="Harington", email="jh1985@mail.example", phone="+1 (555) 123-4567",
            ext={"marketplace": "MK-88", "shop": "C-2002"}, tags=["newsletter"], job_title="Buyer",
        )  # fmt: skip

    def test_pick_the_other_record_by_search(self, as_lead, justine, twin):
        url = reverse("customers:customer_merge", args=[justine.pk])

        page = as_lead.get(url)
        found = as_lead.get(url, {"q": "harington"}, headers=htmx("merge-candidates"))

        assert [c.customer.pk for c in page.context["duplicates"]] == [twin.pk]
        assert used(found)[0] == "customers/partials/_merge_candidates.html"
        assert [c.pk for c in found.context["results"]] == [twin.pk]
        assert f"?other={twin.pk}" in found.content.decode()

    def test_preview_shows_what_moves_and_what_the_survivor_keeps(self, as_lead, justine, twin):
        response = as_lead.get(reverse("customers:customer_merge", args=[justine.pk]), {"other": twin.pk})

        preview = response.context["preview"]
        html = response.content.decode()
        assert response.status_code == 200
        assert (preview.survivor.pk, preview.merged.pk) == (justine.pk, twin.pk)
        assert [p.value for p in preview.contacts_moving] == ["jh1985@mail.example"]
        assert [p.value for p in preview.contacts_staying] == [
            "+1 (555) 123-4567"
        ]  # same number as Justine's
        assert [e.value for e in preview.external_ids_moving] == ["MK-88"]
        assert [e.value for e in preview.external_ids_staying] == ["C-2002"]  # Justine has a shop id
        assert [t.name for t in preview.tags_added] == ["newsletter"]
        assert ("Last name", "Harrington", "Harington") in [
            (str(a).capitalize(), b, c) for a, b, c in preview.kept
        ]
        assert [str(label) for label, _value in preview.filled] == ["job title"]
        for text in ("jh1985@mail.example", "MK-88", "newsletter", "The survivor keeps its own values"):
            assert text in html

    def test_choosing_the_other_survivor_re_renders_the_preview(self, as_lead, justine, twin):
        response = as_lead.get(
            reverse("customers:customer_merge", args=[justine.pk]),
            {"other": twin.pk, "survivor": twin.pk},
            headers=htmx("merge-preview"),
        )

        assert used(response)[0] == "customers/partials/_merge_preview.html"
        assert response.context["survivor"].pk == twin.pk
        assert "Acme Retail" in [value for _label, value in response.context["preview"].filled]

    def test_merge_end_to_end_is_audited_and_matches_the_preview(self, as_lead, lead, justine, twin):
        url = reverse("customers:customer_merge", args=[justine.pk])
        preview = as_lead.get(url, {"other": twin.pk}).context["preview"]

        response = as_lead.post(
            url, {"other": twin.pk, "survivor": justine.pk, "reason": "Same person, old email"}
        )

        assert response.status_code == 302
        assert response["Location"] == justine.get_absolute_url()
        twin.refresh_from_db()
        assert (twin.status, twin.merged_into_id) == (CustomerStatus.MERGED, justine.pk)
        record = MergeRecord.objects.get()
        assert (record.survivor_id, record.merged_id, record.merged_by, record.reason) == (
            justine.pk, twin.pk, lead, "Same person, old email",
        )  # fmt: skip
        assert sorted(record.moved["contact_points"]) == sorted(p.pk for p in preview.contacts_moving)
        assert sorted(record.moved["external_ids"]) == sorted(e.pk for e in preview.external_ids_moving)
        assert sorted(record.moved["tags"]) == sorted(t.pk for t in preview.tags_added)
        entry = AuditEntry.objects.get(verb="customer.merged")
        assert (entry.actor, entry.target_id, entry.data["reason"]) == (
            lead,
            str(justine.pk),
            "Same person, old email",
        )
        page = as_lead.get(response["Location"])
        assert "was merged into this record" in page.content.decode()
        assert "jh1985@mail.example" in page.content.decode()

    def test_merge_into_the_other_record_with_htmx(self, as_lead, justine, twin):
        response = as_lead.post(
            reverse("customers:customer_merge", args=[justine.pk]),
            {"other": twin.pk, "survivor": twin.pk, "reason": "dup"},
            headers=htmx("merge-preview"),
        )

        assert response.status_code == 204
        assert response["HX-Redirect"] == twin.get_absolute_url()
        assert Customer.objects.get(pk=justine.pk).merged_into_id == twin.pk

    def test_merge_needs_a_reason(self, as_lead, justine, twin):
        response = as_lead.post(
            reverse("customers:customer_merge", args=[justine.pk]),
            {"other": twin.pk, "survivor": justine.pk, "reason": ""},
            headers=htmx("merge-preview"),
        )

        assert response.status_code == 422
        assert "reason" in response.context["form"].errors
        assert not MergeRecord.objects.exists()
        assert Customer.objects.get(pk=twin.pk).status == CustomerStatus.ACTIVE

    def test_merging_with_an_already_merged_record_is_refused(self, as_lead, lead, justine, twin):
        third = CustomerFactory()
        services.customer_merge(survivor_id=third.pk, merged_id=twin.pk, by=lead)

        response = as_lead.post(
            reverse("customers:customer_merge", args=[justine.pk]),
            {"other": twin.pk, "survivor": justine.pk, "reason": "dup"},
        )

        assert response.status_code == 422
        assert "already merged" in str(response.context["form"].non_field_errors())
        assert MergeRecord.objects.count() == 1

    def test_reverse_merge(self, as_lead, lead, justine, twin):
        record = services.customer_merge(survivor_id=justine.pk, merged_id=twin.pk, by=lead, reason="oops")

        response = as_lead.post(reverse("customers:merge_reverse", args=[justine.pk, record.pk]))

        assert response.status_code == 302
        twin.refresh_from_db()
        record.refresh_from_db()
        assert twin.status == CustomerStatus.ACTIVE and twin.merged_into_id is None
        assert record.reversed_by == lead
        assert twin.contact_points.filter(value="jh1985@mail.example").exists()
        assert AuditEntry.objects.filter(verb="customer.unmerged", actor=lead).count() == 1
        again = as_lead.post(reverse("customers:merge_reverse", args=[justine.pk, record.pk]), headers=HTMX)
        assert again.status_code == 422
        assert "already reversed" in again.content.decode()
        assert AuditEntry.objects.filter(verb="customer.unmerged").count() == 1

    def test_reverse_of_a_merge_of_another_customer_is_404(self, as_lead, lead, justine, twin):
        record = services.customer_merge(survivor_id=justine.pk, merged_id=twin.pk, by=lead)
        stranger = CustomerFactory()

        response = as_lead.post(reverse("customers:merge_reverse", args=[stranger.pk, record.pk]))

        assert response.status_code == 404
        assert MergeRecord.objects.get().reversed_at is None

    def test_duplicates_page_lists_pairs_with_compare_links(self, as_lead, justine, twin):
        response = as_lead.get(reverse("customers:duplicate_list"))

        html = response.content.decode()
        assert [(p.first.pk, p.second.pk) for p, _url in response.context["rows"]] == [(justine.pk, twin.pk)]
        assert f"{reverse('customers:customer_merge', args=[justine.pk])}?other={twin.pk}" in html


# --- query counts ---------------------------------------------------------------------------
# A page runs the same queries whatever the number of rows. The counts below include the
# request's own: session (none when sessions are cached in Redis) and user (which carries the
# two-factor policy check; permissions come from the role table without a query).


def _populate(n: int, agent) -> Customer:
    first = None
    for i in range(n):
        customer = CustomerFactory(
            first_name=f"Q{i}", last_name=f"Rows{i:03d}", phone=f"+1 555 100 {i:04d}", org=f"Org {i % 5}",
            tags=[f"t{i % 4}", "all"], ext={"shop": f"S-{i}"},
        )  # fmt: skip
        first = first or customer
    return first  # type: ignore[return-value]


@pytest.mark.parametrize("rows", [3, 30])
def test_customer_list_query_count_is_fixed(client, agent, django_assert_num_queries, rows):
    _populate(rows, agent)
    client.force_login(agent)
    url = reverse("customers:customer_list")

    # tags for the filter, count, page, prefetch contacts, prefetch tags
    with django_assert_num_queries(REQUEST_QUERIES + 5):
        response = client.get(url, {"limit": 50})
    assert len(response.context["page"].customers) == rows

    # organisation by name, tags, count, page + 2 prefetches
    with django_assert_num_queries(REQUEST_QUERIES + 6):
        client.get(url, {"org": "Org 1", "tag": "all", "consent": "no"})

    # tags, "any blocked customer?" (can the index answer alone?), search ids, rows + 2
    # prefetches, match count
    with django_assert_num_queries(REQUEST_QUERIES + 7):
        response = client.get(url, {"q": "rows", "limit": 50})
    assert len(response.context["page"].customers) == rows


@pytest.mark.parametrize("rows", [3, 30])
def test_customer_detail_query_count_is_fixed(client, agent, lead, django_assert_num_queries, rows):
    customer = _populate(1, agent)
    for i in range(rows):
        services.contact_point_add(
            customer_id=customer.pk, by=agent, contact=ContactInput(kind="email", value=f"q{i}@example.com")
        )
        services.address_add(
            customer_id=customer.pk,
            by=agent,
            address=AddressInput(line1=f"{i} Road", city="Town", country="DE"),
        )
        services.external_id_set(customer_id=customer.pk, by=agent, system=f"sys{i}", value=f"v{i}")
        services.interaction_log(
            customer_id=customer.pk, by=agent, kind=InteractionKind.CALL, summary=f"Call {i}"
        )
        services.customer_update(
            customer_id=customer.pk, by=agent, changes={}, tags=[f"tag{j}" for j in range(i + 1)]
        )
        other = CustomerFactory(first_name="M", last_name=f"Merged{i:03d}", email=f"m{i}@example.com")
        services.customer_merge(survivor_id=customer.pk, merged_id=other.pk, by=lead)
    client.force_login(agent)

    # customer + contacts, addresses, tags, external ids; timeline; kind counts; merges;
    # duplicates (shared contacts, similar names); audit entries
    with django_assert_num_queries(REQUEST_QUERIES + 11):
        response = client.get(customer.get_absolute_url())

    assert response.status_code == 200
    assert len(response.context["timeline"]) == min(
        TIMELINE_PAGE, Interaction.objects.filter(customer=customer).count()
    )
    assert len(response.context["merges"]) == rows

    # the timeline panel alone: customer (+4 prefetches), entries, kind counts
    with django_assert_num_queries(REQUEST_QUERIES + 7):
        client.get(customer.get_absolute_url(), {"kind": "call"}, headers=htmx("timeline"))


def test_merge_preview_query_count(client, lead, django_assert_num_queries):
    first, second = CustomerFactory(), CustomerFactory()
    client.force_login(lead)

    # both customers (1 + 4 prefetches each), the merged record's timeline size
    with django_assert_num_queries(REQUEST_QUERIES + 11):
        client.get(reverse("customers:customer_merge", args=[first.pk]), {"other": second.pk})


def test_selector_scoping_is_what_the_views_rely_on(agent, portal_user, justine):
    assert selectors.customers_visible_to(portal_user).count() == 0
    assert selectors.customers_visible_to(agent).count() == 1
