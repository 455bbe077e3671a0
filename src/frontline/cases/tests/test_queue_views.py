"""The queue's pages: tabs, filters, saved views, bulk actions with a result per case, search,
new case, macros, handover, availability. Customers get 403; bad input is a 400/422 that names
it, never a 500; the queue and search run a fixed number of queries whatever the data size."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from frontline.accounts.choices import Availability, Role
from frontline.audit.models import AuditEntry
from frontline.cases import selectors, services
from frontline.cases.choices import StatusCategory
from frontline.cases.models import Case, CaseStatus, HandoverNote, Macro, SavedView
from frontline.core.tests.queries import REQUEST_QUERIES

from .factories import CustomerFactory, MembershipFactory, TeamFactory, UserFactory, make_case

pytestmark = pytest.mark.django_db

NOW = timezone.now()
LOCAL_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "queue-views"}
}
# the session (none when sessions are read from the shared cache), the user (with the two-factor
# policy check); permissions come from the role, no query


@pytest.fixture(autouse=True)
def own_cache(settings):
    """Filter choices are cached: each test starts cold, in a cache of its own."""
    settings.CACHES = LOCAL_CACHE
    selectors.queue_choices_clear()


def htmx(target: str = "", trigger: str = "") -> dict[str, str]:
    headers = {"HX-Request": "true"}
    if target:
        headers["HX-Target"] = target
    if trigger:
        headers["HX-Trigger"] = trigger
    return headers


def text(response) -> str:
    return response.content.decode()


def used(response) -> list[str]:
    return [t.name for t in response.templates]


def subjects(response) -> list[str]:
    return [row["subject"] for row in response.context["rows"]]


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def desk():
    return TeamFactory(name="Shipments Desk", slug="shipments")


@pytest.fixture
def care():
    return TeamFactory(name="Customer Care", slug="care")


@pytest.fixture
def sara(desk):
    user = UserFactory(username="sara", role=Role.AGENT, first_name="Sara", last_name="Lind")
    MembershipFactory(team=desk, user=user)
    return user


@pytest.fixture
def thomas(desk):
    user = UserFactory(username="thomas", role=Role.LEAD, first_name="Thomas", last_name="Becker")
    MembershipFactory(team=desk, user=user, is_lead=True)
    return user


@pytest.fixture
def todd(care):
    user = UserFactory(username="todd", role=Role.AGENT, first_name="Todd", last_name="Haney")
    MembershipFactory(team=care, user=user)
    return user


@pytest.fixture
def portal():
    return UserFactory(username="justine", role=Role.CUSTOMER)


@pytest.fixture
def justine():
    return CustomerFactory(first_name="Justine", last_name="Harrington", email="justine@example.com")


@pytest.fixture
def as_sara(client, sara):
    client.force_login(sara)
    return client


def case(subject: str, *, category: str = StatusCategory.OPEN, due=None, **fields) -> Case:
    made = make_case(subject=subject, **fields)
    status = CaseStatus.objects.get(category=category, is_default=True)
    Case.objects.filter(pk=made.pk).update(status=status, status_category=category, sla_due_at=due)
    made.refresh_from_db()
    return made


# --- access ------------------------------------------------------------------------------------


def _urls(
    view_pk: int = 1, macro_pk: int = 1, note_pk: int = 1, customer_pk: int = 1
) -> list[tuple[str, str]]:
    return [
        ("get", reverse("cases:queue")),
        ("get", reverse("cases:queue_counts")),
        ("post", reverse("cases:bulk")),
        ("post", reverse("cases:saved_view_create")),
        ("post", reverse("cases:saved_view_delete", args=[view_pk])),
        ("get", reverse("cases:search") + "?q=refund"),
        ("get", reverse("cases:case_new")),
        ("post", reverse("cases:case_new")),
        ("get", reverse("cases:customer_cases", args=[customer_pk])),
        ("get", reverse("cases:macro_list")),
        ("post", reverse("cases:macro_create")),
        ("get", reverse("cases:macro_edit", args=[macro_pk])),
        ("post", reverse("cases:macro_delete", args=[macro_pk])),
        ("get", reverse("cases:handover")),
        ("post", reverse("cases:handover")),
        ("post", reverse("cases:handover_acknowledge", args=[note_pk])),
        ("post", reverse("cases:availability")),
    ]


class TestAccess:
    def test_customers_get_403_everywhere_and_nothing_changes(self, client, portal, sara, justine):
        view = SavedView.objects.create(name="Mine", owner=sara, filters={})
        macro = Macro.objects.create(name="Hi", body="Hello", owner=sara)
        note = HandoverNote.objects.create(author=sara, body="Watch #1")
        client.force_login(portal)

        for method, url in _urls(view.pk, macro.pk, note.pk, justine.pk):
            assert getattr(client, method)(url).status_code == 403, url

        assert SavedView.objects.count() == Macro.objects.count() == HandoverNote.objects.count() == 1
        assert HandoverNote.objects.get().acknowledged_at is None

    def test_anonymous_goes_to_sign_in(self, client):
        for method, url in _urls():
            response = getattr(client, method)(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("accounts:login"))

    def test_roles_without_add_case_cannot_open_cases(self, client, justine):
        client.force_login(UserFactory(role=Role.LOGISTICS))

        assert client.get(reverse("cases:queue")).status_code == 200
        assert client.get(reverse("cases:case_new") + f"?customer={justine.pk}").status_code == 403


# --- the queue ---------------------------------------------------------------------------------


class TestQueue:
    def test_default_tab_is_my_cases(self, as_sara, sara, desk):
        case("Mine", assignee_id=sara.pk, team_id=desk.pk)
        case("Not mine")

        response = as_sara.get(reverse("cases:queue"))

        html = text(response)
        assert response.status_code == 200
        assert used(response)[0] == "cases/queue.html"
        assert subjects(response) == ["Mine"]
        assert response.context["filters"].tab == "mine"
        assert [t["key"] for t in response.context["tabs"] if t["active"]] == ["mine"]
        for label in ("My cases", "My team", "Unassigned", "Breaching soon", "All open"):
            assert label in html
        assert 'data-live-group="queue-all"' in html
        assert reverse("cases:queue_counts") in html

    def test_a_row_shows_reference_subject_customer_badges_people_sla_and_tags(
        self, as_sara, sara, desk, justine
    ):
        made = case("Parcel lost", customer=justine, priority="urgent", team_id=desk.pk, assignee_id=sara.pk,
                    tags=["vip"], due=timezone.now() - timedelta(hours=2))  # fmt: skip

        response = as_sara.get(reverse("cases:queue"), {"tab": "open"})

        html = text(response)
        (row,) = response.context["rows"]
        assert f"#{made.reference}" in html
        assert f'href="/cases/{made.reference}/"' in html
        assert f'href="/customers/{justine.pk}/"' in html
        assert "Justine Harrington" in html and "Sara Lind" in html and "Shipments Desk" in html
        assert row["due_class"] == "sla-breached"
        assert row["due_text"].endswith("overdue")
        assert row["priority_class"] == "priority-urgent"
        assert '<span class="tag">vip</span>' in html

    def test_sla_due_colours(self, as_sara):
        now = timezone.now()
        case("soon", due=now + timedelta(minutes=30))
        case("today", due=now + timedelta(hours=3))
        case("later", due=now + timedelta(days=2))

        waiting = case("waiting on the customer", category=StatusCategory.PENDING_CUSTOMER)
        Case.objects.filter(pk=waiting.pk).update(sla_paused=True)

        response = as_sara.get(reverse("cases:queue"), {"tab": "open"})

        rows = response.context["rows"]
        assert [r["due_class"] for r in rows] == ["sla-soon", "sla-today", "sla-later", "sla-paused"]
        assert rows[0]["due_text"] in ("in 29 min", "in 30 min")
        assert rows[3]["due_text"] == "paused"

    def test_tabs_and_filters(self, as_sara, sara, todd, desk, care):
        case("desk urgent", team_id=desk.pk, priority="urgent")
        case("desk low", team_id=desk.pk, priority="low", channel="email")
        case("care", team_id=care.pk, assignee_id=todd.pk)

        assert subjects(as_sara.get(reverse("cases:queue"), {"tab": "team"})) == ["desk urgent", "desk low"]
        assert subjects(as_sara.get(reverse("cases:queue"), {"tab": "unassigned"})) == [
            "desk urgent",
            "desk low",
        ]
        assert subjects(as_sara.get(reverse("cases:queue"), {"tab": "open", "priority": "urgent,low", "channel": "email"})) == ["desk low"]  # fmt: skip
        assert subjects(as_sara.get(reverse("cases:queue"), {"tab": "open", "assignee": str(todd.pk)})) == [
            "care"
        ]

    def test_filter_changes_answer_with_the_results_fragment_and_a_short_address(self, as_sara):
        case("A", priority="high")

        response = as_sara.get(
            reverse("cases:queue"),
            {"tab": "open", "priority": "high", "team": "", "assignee": "", "sla": "", "tag": ""},
            headers=htmx("queue-results", trigger="queue-filters"),
        )

        assert response.status_code == 200
        assert used(response)[0] == "cases/partials/_queue_results.html"
        assert "<html" not in text(response)
        assert subjects(response) == ["A"]
        assert response["HX-Push-Url"] == "/cases/?tab=open&priority=high"
        assert 'id="saved-view-query"' in text(response)  # the "save this view" form follows the filters

    def test_a_live_refresh_does_not_touch_the_address(self, as_sara):
        response = as_sara.get(
            reverse("cases:queue"), {"tab": "open"}, headers=htmx("queue-results", trigger="queue-results")
        )

        assert response.status_code == 200
        assert "HX-Push-Url" not in response

    @pytest.mark.parametrize(
        "params",
        [
            {"priority": "asap"},
            {"tab": "everything"},
            {"team": "abc"},
            {"created_from": "yesterday"},
            {"sort": "reference"},
            {"offset": "-5"},
            {"limit": "1000"},
            {"status": "1' OR 1=1"},
        ],
    )
    def test_bad_filter_values_are_a_400_page_or_a_422_fragment_naming_them(self, as_sara, params):
        case("A")
        name = next(iter(params))

        page = as_sara.get(reverse("cases:queue"), params)
        fragment = as_sara.get(reverse("cases:queue"), params, headers=htmx("queue-results"))

        assert page.status_code == 400
        assert fragment.status_code == 422
        assert name in page.context["errors"]
        assert f"<code>{name}</code>" in text(fragment)
        assert page.context["rows"] == []

    def test_paging(self, as_sara):
        now = timezone.now()
        for i in range(30):
            case(f"c{i:02d}", due=now + timedelta(minutes=i))

        first = as_sara.get(reverse("cases:queue"), {"tab": "open", "limit": "25"})
        second = as_sara.get(first.context["next_url"])

        assert subjects(first)[:2] == ["c00", "c01"]
        assert first.context["next_url"] == "/cases/?tab=open&limit=25&offset=25"
        assert "1\u201325 of 30 cases" in text(first)
        assert subjects(second) == [f"c{i}" for i in range(25, 30)]
        assert second.context["prev_url"] == "/cases/?tab=open&limit=25"
        assert second.context["next_url"] == ""

    def test_more_than_the_count_cap_shows_a_plus(self, as_sara, monkeypatch):
        monkeypatch.setattr(selectors, "COUNT_CAP", 3)
        for i in range(5):
            case(f"c{i}")

        html = text(as_sara.get(reverse("cases:queue"), {"tab": "open"}))

        assert "1\u20135 of 3+ cases" in html

    def test_tab_counts(self, as_sara, sara, desk):
        case("mine", assignee_id=sara.pk, team_id=desk.pk, due=timezone.now() + timedelta(hours=1))
        case("other")

        response = as_sara.get(reverse("cases:queue_counts"), {"tab": "open"}, headers=htmx("queue-tabs"))

        counts = {t["key"]: t["count"] for t in response.context["tabs"]}
        assert counts == {"mine": 1, "team": 1, "unassigned": 1, "breaching": 1, "open": 2}
        assert "queue-counts from:body" in text(response)

    def test_the_team_tab_of_someone_in_no_team_says_so(self, client):
        client.force_login(UserFactory(username="loner"))

        response = client.get(reverse("cases:queue"), {"tab": "team"})

        assert "not a member of any team" in text(response)

    @pytest.mark.parametrize("rows", [3, 30])
    def test_query_count_is_fixed(self, as_sara, sara, desk, justine, django_assert_num_queries, rows):
        now = timezone.now()
        for i in range(rows):
            case(f"c{i}", team_id=desk.pk, assignee_id=sara.pk if i % 2 else None, tags=[f"t{i % 3}"],
                 due=now + timedelta(minutes=i), customer=justine if i % 2 else None)  # fmt: skip
        SavedView.objects.create(name="Urgent", owner=sara, filters={"tab": ["open"], "priority": ["urgent"]})
        as_sara.get(reverse("cases:queue"))  # warms the filter choices (cached 30 s)

        # the user's teams, the saved views, the rows with their capped total, the tags
        with django_assert_num_queries(REQUEST_QUERIES + 4):
            page = as_sara.get(reverse("cases:queue"), {"tab": "team"})
        with django_assert_num_queries(REQUEST_QUERIES + 4):
            fragment = as_sara.get(
                reverse("cases:queue"), {"tab": "open", "tag": "t0,t1,t2"}, headers=htmx("queue-results")
            )
        # the tab counts: the user's teams and one query for all five
        with django_assert_num_queries(REQUEST_QUERIES + 2):
            as_sara.get(reverse("cases:queue_counts"), headers=htmx("queue-tabs"))

        assert len(page.context["rows"]) == rows
        assert len(fragment.context["rows"]) == rows


# --- saved views -------------------------------------------------------------------------------


class TestSavedViews:
    def test_save_the_current_filters_for_me(self, as_sara, sara):
        response = as_sara.post(
            reverse("cases:saved_view_create"),
            {
                "name": "Urgent email",
                "share": "",
                "query": "tab=open&priority=urgent&channel=email&offset=50",
            },
        )

        view = SavedView.objects.get()
        assert (view.name, view.owner, view.team) == ("Urgent email", sara, None)
        assert view.filters == {"tab": ["open"], "priority": ["urgent"], "channel": ["email"]}
        assert response.status_code == 302
        assert response["Location"] == f"/cases/?tab=open&priority=urgent&channel=email&view={view.pk}"
        assert AuditEntry.objects.filter(verb="case.saved_view_created").count() == 1

    def test_share_with_my_team_and_my_teammates_see_it(self, client, sara, thomas, todd, desk):
        client.force_login(thomas)
        client.post(
            reverse("cases:saved_view_create"),
            {"name": "Desk breaching", "share": str(desk.pk), "query": "tab=breaching"},
        )
        view = SavedView.objects.get()

        client.force_login(sara)
        page = client.get(reverse("cases:queue"), {"view": view.pk, "tab": "breaching"})
        client.force_login(todd)
        other = client.get(reverse("cases:queue"))

        assert view.team == desk
        assert [
            (v["name"], v["shared"], v["active"], v["can_delete"]) for v in page.context["saved_views"]
        ] == [("Desk breaching", True, True, False)]
        assert other.context["saved_views"] == []

    def test_sharing_with_a_team_i_am_not_in_is_refused(self, as_sara, care):
        response = as_sara.post(
            reverse("cases:saved_view_create"), {"name": "Care", "share": str(care.pk), "query": ""}
        )

        assert response.status_code == 302
        assert SavedView.objects.count() == 0
        assert any("Visible to" in m for m in flashed(response))

    def test_a_name_is_required(self, as_sara):
        response = as_sara.post(reverse("cases:saved_view_create"), {"name": "", "query": "tab=open"})

        assert SavedView.objects.count() == 0
        assert response["Location"] == "/cases/?tab=open"

    def test_delete_my_own_but_not_someone_elses(self, as_sara, sara, thomas, desk):
        mine = SavedView.objects.create(name="Mine", owner=sara, filters={})
        theirs = SavedView.objects.create(name="Desk", owner=thomas, team=desk, filters={})

        as_sara.post(reverse("cases:saved_view_delete", args=[mine.pk]))
        refused = as_sara.post(reverse("cases:saved_view_delete", args=[theirs.pk]))

        assert list(SavedView.objects.all()) == [theirs]
        assert any("Only the owner" in m for m in flashed(refused))


# --- bulk actions ------------------------------------------------------------------------------


class TestBulk:
    def test_assign_reports_each_case(self, as_sara, sara, desk, care, django_capture_on_commit_callbacks):
        ok = case("desk case", team_id=desk.pk)
        other = case("care case", team_id=care.pk)

        with django_capture_on_commit_callbacks(execute=True):
            response = as_sara.post(
                reverse("cases:bulk"),
                {"case": [ok.pk, other.pk], "action": "assign", "assignee": str(sara.pk), "next": "tab=open"},
                headers=htmx("queue-results"),
            )

        assert response.status_code == 200
        assert used(response)[0] == "cases/partials/_queue_results.html"
        result = response.context["bulk_result"]
        assert [(r["reference"], r["ok"]) for r in result] == [(ok.reference, True), (other.reference, False)]
        assert "not a member of Customer Care" in result[1]["message"]
        assert Case.objects.get(pk=ok.pk).assignee == sara
        assert Case.objects.get(pk=other.pk).assignee is None
        assert response.context["filters"].tab == "open"
        assert "alert-warning" in text(response)
        assert response["HX-Trigger"] == "queue-counts"

    def test_without_javascript_it_redirects_back_with_messages(self, as_sara, sara, desk, care):
        ok = case("desk case", team_id=desk.pk)
        other = case("care case", team_id=care.pk)

        response = as_sara.post(
            reverse("cases:bulk"),
            {
                "case": [ok.pk, other.pk],
                "action": "assign",
                "assignee": str(sara.pk),
                "next": "tab=open&priority=normal",
            },
        )

        assert response.status_code == 302
        assert response["Location"] == "/cases/?tab=open&priority=normal"
        messages = flashed(response)
        assert messages[0] == f"1 case(s) assigned: #{ok.reference}"
        assert messages[1].startswith(f"#{other.reference}: ")

    def test_status_tag_untag_and_merge(self, client, thomas, desk):
        client.force_login(thomas)
        a, b, c = case("a", team_id=desk.pk), case("b", team_id=desk.pk), case("c", team_id=desk.pk)
        resolved = CaseStatus.objects.get(slug="resolved")

        def post(data):
            return client.post(
                reverse("cases:bulk"), {"next": "tab=open", **data}, headers=htmx("queue-results")
            )

        post({"case": [a.pk, b.pk], "action": "tag", "tags": "VIP, carrier"})
        post({"case": [a.pk], "action": "untag", "tags": "carrier"})
        post({"case": [c.pk], "action": "status", "status": str(resolved.pk)})
        refused = post({"case": [b.pk, a.pk], "action": "merge", "survivor": ""})
        merged = post({"case": [b.pk, a.pk], "action": "merge", "survivor": "", "different_customers": "on"})

        assert sorted(Case.objects.get(pk=b.pk).tags.values_list("name", flat=True)) == ["carrier", "vip"]
        assert Case.objects.get(pk=c.pk).status == resolved
        assert Case.objects.get(pk=b.pk).merged_into_id == a.pk  # into the oldest selected
        assert [(r["reference"], r["ok"]) for r in merged.context["bulk_result"]] == [
            (a.reference, True),
            (b.reference, True),
        ]
        assert "different customers" in refused.context["bulk_result"][0]["message"]

    def test_merge_into_a_named_case(self, client, thomas, desk):
        client.force_login(thomas)
        a, b, c = case("a", team_id=desk.pk), case("b", team_id=desk.pk), case("c", team_id=desk.pk)

        client.post(
            reverse("cases:bulk"),
            {
                "case": [a.pk, b.pk],
                "action": "merge",
                "survivor": f"#{c.reference}",
                "different_customers": "on",
            },
        )

        assert set(Case.objects.filter(merged_into=c).values_list("pk", flat=True)) == {a.pk, b.pk}

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"action": "assign"}, "Select at least one case."),
            ({"case": ["1"], "action": "explode"}, "explode"),
            ({"case": ["1"], "action": "status", "status": ""}, "Choose the status."),
            ({"case": ["1"], "action": "assign", "assignee": "abc"}, "Choose an agent"),
            ({"case": ["1"], "action": "merge", "survivor": "#99999999"}, "No case has this reference."),
        ],
    )
    def test_bad_requests_are_422_and_change_nothing(self, client, thomas, desk, data, message):
        client.force_login(thomas)
        made = case("a", team_id=desk.pk)
        data = {k: ([str(made.pk)] if k == "case" else v) for k, v in data.items()}

        response = client.post(
            reverse("cases:bulk"), {"next": "tab=open", **data}, headers=htmx("queue-results")
        )

        assert response.status_code == 422
        assert any(message in r["message"] for r in response.context["bulk_result"])
        assert Case.objects.get(pk=made.pk).updated_at == made.updated_at

    def test_without_the_permission_403(self, client, desk):
        client.force_login(UserFactory(role=Role.LOGISTICS))  # may change, not assign or merge
        made = case("a", team_id=desk.pk)

        assert client.post(reverse("cases:bulk"), {"case": [made.pk], "action": "assign"}).status_code == 403
        assert client.post(reverse("cases:bulk"), {"case": [made.pk], "action": "merge"}).status_code == 403
        assert Case.objects.get(pk=made.pk).assignee is None


# --- search ------------------------------------------------------------------------------------


class TestSearch:
    def test_an_exact_reference_opens_the_case(self, as_sara):
        made = case("Refund")

        response = as_sara.get(reverse("cases:search"), {"q": f"#{made.reference}"})

        assert response.status_code == 302
        assert response["Location"] == f"/cases/{made.reference}/"

    def test_results_with_a_snippet_of_the_matching_message(self, as_sara, justine):
        made = make_case(
            subject="Shirt worn out",
            body="The shirt has a hole after one week & I want a refund.",
            customer=justine,
        )
        make_case(subject="Login problem", body="Cannot sign in.")

        response = as_sara.get(reverse("cases:search"), {"q": "hole"})

        html = text(response)
        assert response.status_code == 200
        assert [r["reference"] for r in response.context["results"]] == [made.reference]
        assert "The shirt has a <mark>hole</mark> after one week &amp; I want a refund." in html
        assert "Justine Harrington" in html

    def test_htmx_fragment_and_nothing_found(self, as_sara):
        response = as_sara.get(reverse("cases:search"), {"q": "zzzz"}, headers=htmx("search-results"))

        assert used(response)[0] == "cases/partials/_queue_search_results.html"
        assert "No case matches" in text(response)

    def test_bad_offset_is_a_400(self, as_sara):
        assert as_sara.get(reverse("cases:search"), {"q": "x", "offset": "-1"}).status_code == 400

    @pytest.mark.parametrize("count", [3, 20])
    def test_query_count_is_fixed(self, as_sara, django_assert_num_queries, count):
        for i in range(count):
            make_case(subject=f"Broken charger {i}", body="My charger is broken.")
        as_sara.get(reverse("cases:search"), {"q": "charger"})

        # two index searches, message -> case, rows, tags, snippets
        with django_assert_num_queries(REQUEST_QUERIES + 6):
            response = as_sara.get(reverse("cases:search"), {"q": "charger"})

        assert len(response.context["results"]) == count


# --- new case ----------------------------------------------------------------------------------


class TestNewCase:
    def test_without_a_customer_find_one_first(self, as_sara, justine):
        response = as_sara.get(reverse("cases:case_new"), {"q": "harr"})

        assert response.status_code == 200
        assert f"?customer={justine.pk}" in text(response)

    def test_open_a_case_for_a_customer(self, as_sara, sara, desk, justine):
        url = reverse("cases:case_new") + f"?customer={justine.pk}"
        form = as_sara.get(url)

        response = as_sara.post(
            url,
            {"customer": justine.pk, "subject": "Called about order A-5567", "body": "Where is my order?",
             "written_by": "customer", "channel": "phone", "priority": "high", "category": "", "team": desk.pk,
             "assignee": sara.pk, "tags": "carrier, VIP"},
        )  # fmt: skip

        made = Case.objects.get()
        assert form.status_code == 200
        assert response.status_code == 302
        assert response["Location"] == f"/cases/{made.reference}/"
        assert (made.customer, made.subject, made.channel, made.priority) == (
            justine,
            "Called about order A-5567",
            "phone",
            "high",
        )
        assert (made.team, made.assignee, made.created_by) == (desk, sara, sara)
        assert sorted(made.tags.values_list("name", flat=True)) == ["carrier", "vip"]
        assert made.messages.get().direction == "inbound"

    def test_refusals_are_form_errors(self, as_sara, todd, desk, justine):
        url = reverse("cases:case_new") + f"?customer={justine.pk}"
        data = {
            "customer": justine.pk,
            "subject": "x",
            "written_by": "us",
            "channel": "phone",
            "priority": "normal",
        }

        empty = as_sara.post(url, {**data, "subject": ""})
        outsider = as_sara.post(
            url, {**data, "team": desk.pk, "assignee": todd.pk}, headers=htmx("new-case-form")
        )
        no_customer = as_sara.post(
            reverse("cases:case_new"), {k: v for k, v in data.items() if k != "customer"}
        )

        assert empty.status_code == outsider.status_code == no_customer.status_code == 422
        assert "subject" in empty.context["form"].errors
        assert "not a member of Shipments Desk" in str(outsider.context["form"].errors["assignee"])
        assert used(outsider)[0] == "cases/partials/_queue_new_case_form.html"
        assert Case.objects.count() == 0

    def test_the_customer_page_lists_the_customers_cases(self, as_sara, justine):
        made = case("Refund", customer=justine)

        page = as_sara.get(reverse("customers:customer_detail", args=[justine.pk]))
        cases = as_sara.get(
            reverse("cases:customer_cases", args=[justine.pk]), headers=htmx("customer-cases")
        )

        assert reverse("cases:customer_cases", args=[justine.pk]) in text(page)
        assert f"{reverse('cases:case_new')}?customer={justine.pk}" in text(page)
        assert [r["reference"] for r in cases.context["rows"]] == [made.reference]
        assert (cases.context["active"], cases.context["total"]) == (1, 1)


# --- macros ------------------------------------------------------------------------------------


class TestMacros:
    def test_list_create_edit_delete_my_own(self, as_sara, sara):
        created = as_sara.post(
            reverse("cases:macro_create"),
            {
                "name": "Tracking",
                "body": "Hello {{ customer.first_name }}, your parcel is on its way.",
                "scope": "personal",
                "add_tags": "carrier",
            },
        )
        macro = Macro.objects.get()
        listed = as_sara.get(reverse("cases:macro_list"))
        edit_form = as_sara.get(reverse("cases:macro_edit", args=[macro.pk]))
        as_sara.post(
            reverse("cases:macro_edit", args=[macro.pk]),
            {"name": "Tracking info", "body": "Hi {{ customer.first_name }}"},
        )
        macro.refresh_from_db()
        name_after_edit = macro.name
        as_sara.post(reverse("cases:macro_delete", args=[macro.pk]))

        assert created.status_code == 302
        assert "Tracking" in text(listed)
        assert edit_form.status_code == 200
        assert name_after_edit == "Tracking info"
        assert Macro.objects.count() == 0

    def test_a_team_macro_needs_a_lead_of_the_team(self, as_sara, client, thomas, desk):
        refused = as_sara.post(
            reverse("cases:macro_create"), {"name": "Desk", "body": "Hi", "scope": "team", "team": desk.pk}
        )
        client.force_login(thomas)
        allowed = client.post(
            reverse("cases:macro_create"), {"name": "Desk", "body": "Hi", "scope": "team", "team": desk.pk}
        )

        assert refused.status_code == 422
        assert allowed.status_code == 302
        assert Macro.objects.get().team == desk

    def test_unknown_placeholders_are_a_form_error(self, as_sara):
        response = as_sara.post(
            reverse("cases:macro_create"),
            {"name": "X", "body": "Hi {{ customer.shoe_size }}", "scope": "personal"},
        )

        assert response.status_code == 422
        assert "body" in response.context["form"].errors
        assert Macro.objects.count() == 0

    def test_someone_elses_personal_macro_is_not_found(self, as_sara, todd):
        theirs = Macro.objects.create(name="Todd's", body="Hi", owner=todd)

        assert as_sara.get(reverse("cases:macro_edit", args=[theirs.pk])).status_code == 404
        assert as_sara.post(reverse("cases:macro_delete", args=[theirs.pk])).status_code == 404
        assert Macro.objects.count() == 1


# --- handover and availability -----------------------------------------------------------------


class TestHandover:
    def test_leave_a_shift_summary_that_the_next_shift_sees_and_acknowledges(
        self, client, sara, thomas, desk
    ):
        client.force_login(thomas)
        response = client.post(
            reverse("cases:handover"),
            {"team": desk.pk, "body": "Carrier X is late on every Berlin parcel.", "handed_to": sara.pk},
        )
        note = HandoverNote.objects.get()

        client.force_login(sara)
        page = client.get(reverse("cases:handover"))
        dashboard = client.get(reverse("workspace:home"))
        ack = client.post(reverse("cases:handover_acknowledge", args=[note.pk]), {"next": "/"})
        note.refresh_from_db()

        assert response.status_code == 302
        assert (note.team, note.author, note.handed_to) == (desk, thomas, sara)
        assert "Carrier X is late" in text(page)
        assert "Carrier X is late" in text(dashboard)
        assert ack["Location"] == "/"
        assert note.acknowledged_by == sara
        assert client.get(reverse("workspace:home")).context["handover_notes"] == []

    def test_a_team_i_am_not_in_is_refused(self, as_sara, care):
        response = as_sara.post(reverse("cases:handover"), {"team": care.pk, "body": "x"})

        assert response.status_code == 422
        assert HandoverNote.objects.count() == 0

    def test_acknowledging_someone_elses_note_is_refused(self, as_sara, todd, care):
        note = HandoverNote.objects.create(author=todd, team=care, body="Care only")

        response = as_sara.post(reverse("cases:handover_acknowledge", args=[note.pk]))

        assert response["Location"] == reverse("cases:handover")
        assert HandoverNote.objects.get().acknowledged_at is None


class TestAvailability:
    def test_set_my_availability(self, as_sara, sara):
        response = as_sara.post(reverse("cases:availability"), {"availability": Availability.ONLINE})

        sara.refresh_from_db()
        assert response["Location"] == reverse("workspace:home")
        assert sara.availability == Availability.ONLINE

    def test_a_bad_value_changes_nothing(self, as_sara, sara):
        as_sara.post(reverse("cases:availability"), {"availability": "asleep"})

        sara.refresh_from_db()
        assert sara.availability == Availability.OFFLINE


def test_navigation_has_a_cases_section_for_staff(as_sara):
    assert 'href="/cases/"' in text(as_sara.get(reverse("workspace:home")))


def test_services_stay_the_only_writers(as_sara, sara, desk):
    """A bulk assign writes the same audit rows as the single-case service."""
    made = case("a", team_id=desk.pk)

    as_sara.post(reverse("cases:bulk"), {"case": [made.pk], "action": "assign", "assignee": str(sara.pk)})

    assert AuditEntry.objects.filter(verb="case.assigned").count() == 1
    assert AuditEntry.objects.filter(verb="case.bulk").count() == 1
    assert services is not None


# --- live updates ------------------------------------------------------------------------------


class TestLive:
    def test_who_may_listen_to_the_queue(self, sara, portal):
        from frontline.core import live

        assert live._authorized(sara, "queue", "all") is True
        assert live._authorized(sara, "queue", "12") is True
        assert live._authorized(sara, "queue", "everything") is False
        assert live._authorized(portal, "queue", "all") is False

    def test_a_new_case_is_pushed_to_all_queues_and_its_teams(
        self, sara, desk, django_capture_on_commit_callbacks
    ):
        from asgiref.sync import async_to_sync, sync_to_async
        from channels.layers import get_channel_layer

        made: list[Case] = []

        def open_case() -> None:
            with django_capture_on_commit_callbacks(execute=True):
                made.append(make_case(subject="Live", team_id=desk.pk))

        async def subscribe_open_and_receive() -> tuple[dict, dict]:
            # One event loop throughout (the Redis pub/sub layer delivers in the loop that listens).
            layer = get_channel_layer()
            everyone, team = await layer.new_channel(), await layer.new_channel()
            await layer.group_add("queue-all", everyone)
            await layer.group_add(f"queue-{desk.pk}", team)
            await sync_to_async(open_case)()
            return await layer.receive(everyone), await layer.receive(team)

        everyone, team = async_to_sync(subscribe_open_and_receive)()

        assert everyone["payload"] == team["payload"] == {"type": "created", "case_id": made[0].pk}
