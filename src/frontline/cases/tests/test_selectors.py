"""The queue's reads: every tab and filter, permission scoping, ordering, the capped count,
search ranking and snippets, dashboard counters. Exact values; a fixed number of queries."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from frontline.accounts.choices import Role
from frontline.cases import selectors, services
from frontline.cases.choices import StatusCategory
from frontline.cases.filters import CaseFilter, parse_case_filter
from frontline.cases.models import Case, CaseStatus, Mention, SavedView

from .factories import CustomerFactory, MembershipFactory, TeamFactory, UserFactory, make_case

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


LOCAL_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "queue-tests"}
}


@pytest.fixture(autouse=True)
def fresh_choices(request, settings):
    """A cache of this test's own (the shared Redis of a parallel run may be flushed by others)."""
    if "real_cache" not in request.fixturenames:
        settings.CACHES = LOCAL_CACHE
    cache.delete(selectors.CHOICES_KEY)
    yield
    cache.delete(selectors.CHOICES_KEY)


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
def todd(care):
    user = UserFactory(username="todd", role=Role.AGENT, first_name="Todd", last_name="Haney")
    MembershipFactory(team=care, user=user)
    return user


@pytest.fixture
def justine():
    return CustomerFactory(
        first_name="Justine", last_name="Harrington", email="justine@example.com", phone="+1 555 123 4567"
    )


def case(subject: str = "Where is my order?", *, category: str = StatusCategory.OPEN, due: datetime | None = None,
         created: datetime | None = None, updated: datetime | None = None, customer=None, **fields) -> Case:  # fmt: skip
    """A case opened through the service, then put in the state the test needs."""
    made = make_case(subject=subject, customer=customer, **fields)
    status = CaseStatus.objects.get(category=category, is_default=True)
    changes = {
        "status": status,
        "status_category": category,
        "sla_due_at": due,
        "sla_breached": bool(due and due < NOW),
    }
    if created is not None:
        changes["created_at"] = created
    if updated is not None:
        changes["updated_at"] = updated
    Case.objects.filter(pk=made.pk).update(**changes)
    made.refresh_from_db()
    return made


def refs(page) -> list[str]:
    return [row.subject for row in page.rows]


def queue(user, query: str = "", **kwargs) -> selectors.QueuePage:
    from django.http import QueryDict

    return selectors.case_queue(user=user, filters=parse_case_filter(QueryDict(query)), now=NOW, **kwargs)


class TestScoping:
    def test_staff_see_every_case_customers_and_strangers_none(self, sara):
        case("A")
        portal = UserFactory(username="justine", role=Role.CUSTOMER)

        assert refs(queue(sara)) == ["A"]
        assert refs(queue(portal)) == []
        assert selectors.cases_visible_to(portal).count() == 0
        assert queue(portal).total == 0

    def test_every_staff_role_may_view(self):
        case("A")
        for role in (Role.LOGISTICS, Role.PRODUCT, Role.SALES, Role.REPORTER):
            assert refs(queue(UserFactory(role=role))) == ["A"]


class TestTabs:
    def test_mine_team_unassigned_breaching_open_and_all(self, sara, todd, desk, care):
        case("mine", assignee_id=sara.pk, team_id=desk.pk, due=NOW + timedelta(hours=30))
        case("desk unassigned", team_id=desk.pk, due=NOW + timedelta(hours=2))
        case("care todd", team_id=care.pk, assignee_id=todd.pk, due=NOW - timedelta(minutes=5))
        case("nobody", due=NOW + timedelta(hours=10))
        case("mine done", assignee_id=sara.pk, team_id=desk.pk, category=StatusCategory.RESOLVED)

        assert refs(queue(sara, "tab=mine")) == ["mine"]
        assert refs(queue(sara, "tab=team")) == ["desk unassigned", "mine"]
        assert refs(queue(sara, "tab=unassigned")) == ["desk unassigned", "nobody"]
        assert refs(queue(sara, "tab=breaching")) == ["care todd", "desk unassigned"]
        assert refs(queue(sara, "tab=open")) == ["care todd", "desk unassigned", "nobody", "mine"]
        assert refs(queue(sara, "tab=all")) == ["care todd", "desk unassigned", "nobody", "mine", "mine done"]
        assert refs(queue(sara, "tab=mine&status=resolved")) == ["mine done"]

    def test_team_tab_of_someone_in_no_team_is_empty(self, desk):
        loner = UserFactory(username="loner")
        case("desk", team_id=desk.pk)

        assert refs(queue(loner, "tab=team")) == []


class TestFilters:
    @pytest.fixture
    def cases(self, sara, todd, desk, care, justine):
        waiting = CaseStatus.objects.create(
            name="Waiting for parts", slug="waiting-parts", category=StatusCategory.ON_HOLD
        )
        a = case("A", priority="urgent", channel="email", team_id=desk.pk, assignee_id=sara.pk, tags=["vip"],
                 due=NOW - timedelta(hours=1), created=NOW - timedelta(days=10), customer=justine)  # fmt: skip
        b = case("B", priority="high", channel="phone", team_id=care.pk, assignee_id=todd.pk, tags=["refund", "vip"],
                 due=NOW + timedelta(hours=2), created=NOW - timedelta(days=3))  # fmt: skip
        c = case("C", priority="low", channel="web", category=StatusCategory.PENDING_CUSTOMER,
                 due=NOW + timedelta(days=3), created=NOW - timedelta(days=1))  # fmt: skip
        d = case("D", priority="normal", channel="email", category=StatusCategory.ON_HOLD, created=NOW)
        Case.objects.filter(pk=d.pk).update(status=waiting)
        return {"A": a, "B": b, "C": c, "D": d, "waiting": waiting}

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("status=on_hold", ["D"]),
            ("status=pending_customer,on_hold", ["C", "D"]),
            ("priority=urgent,high", ["A", "B"]),
            ("team=none", ["C", "D"]),
            ("assignee=none", ["C", "D"]),
            ("assignee=me", ["A"]),
            ("tag=vip", ["A", "B"]),
            ("tag=REFUND", ["B"]),
            ("channel=email", ["A", "D"]),
            ("sla=overdue", ["A"]),
            ("sla=4h", ["B"]),
            ("sla=none", ["D"]),
            ("customer=justine", ["A"]),
            ("customer=555+123", ["A"]),
            ("customer=nobody-at-all", []),
            ("priority=low&channel=web&team=none", ["C"]),
        ],
    )
    def test_each_filter(self, sara, cases, query, expected):
        assert refs(queue(sara, f"tab=all&{query}")) == expected

    def test_team_and_assignee_ids_and_status_ids(self, sara, todd, desk, cases):
        assert refs(queue(sara, f"tab=all&team={desk.pk}")) == ["A"]
        assert refs(queue(sara, f"tab=all&assignee={todd.pk},none")) == ["B", "C", "D"]
        assert refs(queue(sara, f"tab=all&status={cases['waiting'].pk}")) == ["D"]

    def test_customer_id(self, sara, justine, cases):
        assert refs(queue(sara, f"tab=all&customer={justine.pk}")) == ["A"]

    def test_created_range_is_inclusive_of_whole_days(self, sara, cases):
        today = timezone.localdate(NOW)
        since = (today - timedelta(days=3)).isoformat()

        assert refs(queue(sara, f"tab=all&created_from={since}")) == ["B", "C", "D"]
        assert refs(queue(sara, f"tab=all&created_to={since}")) == ["A", "B"]

    def test_sla_due_later_today(self, sara):
        end_of_day = timezone.localtime(NOW).replace(hour=23, minute=59, second=0)
        if end_of_day - NOW < timedelta(minutes=2):
            pytest.skip("too close to midnight")
        case("today", due=NOW + (end_of_day - NOW) / 2)
        case("tomorrow", due=end_of_day + timedelta(hours=2))

        assert refs(queue(sara, "tab=all&sla=today")) == ["today"]


class TestOrdering:
    def test_sla_due_soonest_first_none_last_ties_by_id(self, sara):
        case("no due")
        case("late", due=NOW + timedelta(hours=5))
        case("soon", due=NOW + timedelta(hours=1))
        case("soon too", due=NOW + timedelta(hours=1))
        case("overdue", due=NOW - timedelta(hours=1))

        assert refs(queue(sara, "tab=open")) == ["overdue", "soon", "soon too", "late", "no due"]

    def test_priority_then_sla_due(self, sara):
        case("low", priority="low", due=NOW)
        case("urgent late", priority="urgent", due=NOW + timedelta(hours=3))
        case("urgent soon", priority="urgent", due=NOW + timedelta(hours=1))
        case("normal", priority="normal")
        case("high", priority="high")

        assert refs(queue(sara, "tab=open&sort=-priority")) == [
            "urgent soon",
            "urgent late",
            "high",
            "normal",
            "low",
        ]

    def test_created_and_updated(self, sara):
        case("old", created=NOW - timedelta(days=2), updated=NOW)
        case("new", created=NOW - timedelta(hours=1), updated=NOW - timedelta(days=1))

        assert refs(queue(sara, "tab=open&sort=-created")) == ["new", "old"]
        assert refs(queue(sara, "tab=open&sort=created")) == ["old", "new"]
        assert refs(queue(sara, "tab=open&sort=-updated")) == ["old", "new"]


class TestPages:
    def test_offset_limit_has_next_and_capped_total(self, sara, monkeypatch):
        for i in range(7):
            case(f"c{i}", due=NOW + timedelta(minutes=i))
        monkeypatch.setattr(selectors, "COUNT_CAP", 5)

        first = queue(sara, "tab=open", limit=3)
        last = queue(sara, "tab=open", offset=6, limit=3)

        assert refs(first) == ["c0", "c1", "c2"]
        assert (first.has_next, first.total, first.total_capped, first.shown_total) == (True, 6, True, 5)
        assert refs(last) == ["c6"]
        assert last.has_next is False

    def test_a_page_past_the_end(self, sara):
        case("only")

        page = queue(sara, "tab=open", offset=50, limit=25)

        assert (page.rows, page.total, page.has_next) == ([], 1, False)

    def test_uncapped_total(self, sara):
        for i in range(3):
            case(f"c{i}")

        page = queue(sara, "tab=open")

        assert (page.total, page.total_capped, page.has_next) == (3, False, False)


class TestRows:
    def test_a_row_carries_what_the_queue_shows(self, sara, desk, justine):
        made = case("Parcel lost", priority="high", channel="phone", team_id=desk.pk, assignee_id=sara.pk,
                    tags=["vip", "carrier"], due=NOW + timedelta(hours=1), customer=justine)  # fmt: skip

        (row,) = queue(sara, "tab=open").rows

        assert row.id == made.pk
        assert row.reference == made.reference
        assert (row.subject, row.customer_id, row.customer_name) == (
            "Parcel lost",
            justine.pk,
            "Justine Harrington",
        )
        assert (row.status_name, row.status_category, row.priority, row.channel) == (
            "Open",
            "open",
            "high",
            "phone",
        )
        assert (row.assignee_id, row.assignee_name, row.team_id, row.team_name) == (
            sara.pk,
            "Sara Lind",
            desk.pk,
            "Shipments Desk",
        )
        assert row.sla_due_at == NOW + timedelta(hours=1)
        assert row.tags == ("carrier", "vip")
        assert row.message_count == 1
        assert row.merged_into_id is None
        assert row.priority_rank == 3

    @pytest.mark.parametrize("rows", [3, 30])
    def test_two_queries_whatever_the_number_of_rows(self, sara, desk, rows):
        for i in range(rows):
            case(f"c{i}", team_id=desk.pk, tags=[f"t{i % 4}"], due=NOW + timedelta(minutes=i))
        selectors.queue_choices()  # cached, as on every request but the first in 30 s
        teams = selectors.user_team_ids(sara)
        sara.has_perm("cases.view_case")  # permissions are loaded once per request

        with CaptureQueriesContext(connection) as ctx:
            page = queue(sara, "tab=team&priority=normal&tag=t1,t2,t3,t0", team_ids=teams)

        assert len(page.rows) == rows
        assert len(ctx.captured_queries) == 2  # rows with the capped total, tags


class TestCounts:
    def test_tab_counts_in_one_query(self, sara, desk):
        case("mine", assignee_id=sara.pk, team_id=desk.pk, due=NOW + timedelta(hours=1))
        case("team", team_id=desk.pk)
        case("other", due=NOW + timedelta(days=2))
        teams = selectors.user_team_ids(sara)
        sara.has_perm("cases.view_case")

        with CaptureQueriesContext(connection) as ctx:
            counts = selectors.queue_tab_counts(user=sara, team_ids=teams, now=NOW)

        assert counts == {"mine": 1, "team": 2, "unassigned": 2, "breaching": 1, "open": 3}
        assert len(ctx.captured_queries) == 1

    def test_dashboard_counters_match_the_queue_they_link_to(self, sara, todd, desk):
        case("mine", assignee_id=sara.pk, team_id=desk.pk, due=NOW + timedelta(hours=1))
        case("desk unassigned", team_id=desk.pk, due=NOW - timedelta(hours=1))
        case("elsewhere breaching", due=NOW + timedelta(minutes=10))
        made = make_case(subject="Mention", by=todd)
        services.message_reply(case_id=made.pk, by=todd, body="@sara can you look?", internal=True)
        teams = selectors.user_team_ids(sara)

        counts = selectors.dashboard_counts(user=sara, team_ids=teams, now=NOW)

        assert (counts.mine, counts.team_unassigned, counts.breaching, counts.mentions_unread) == (1, 1, 2, 1)
        for name, f in selectors.dashboard_filters(teams).items():
            assert (
                getattr(counts, name)
                == selectors.case_queue(user=sara, filters=f, team_ids=teams, now=NOW).total
            )
        assert [m.message.case_id for m in selectors.mentions_unread_for_user(user=sara)] == [made.pk]
        Mention.objects.update(read_at=NOW)
        assert selectors.dashboard_counts(user=sara, team_ids=teams, now=NOW).mentions_unread == 0


class TestSearch:
    @pytest.fixture
    def found(self, justine):
        refund = make_case(subject="Refund for returned laptop", body="I sent the laptop back on Monday.")
        shirt = make_case(
            subject="Shirt worn out",
            body="The Fancy Shirt T-12377 has a hole; I want a refund.",
            customer=justine,
        )
        other = make_case(subject="Login problem", body="Cannot sign in since the update.")
        return {"refund": refund, "shirt": shirt, "other": other}

    def hits(self, user, query):
        return [hit.row.subject for hit in selectors.case_search(user=user, query=query).hits]

    def test_by_subject_customer_email_phone_and_message_text(self, sara, justine, found):
        assert self.hits(sara, "returned laptop") == ["Refund for returned laptop"]
        assert self.hits(sara, "harrington") == ["Shirt worn out"]
        assert self.hits(sara, "justine@example") == ["Shirt worn out"]
        assert self.hits(sara, "555 123") == ["Shirt worn out"]
        assert self.hits(sara, "sign in update") == ["Login problem"]

    def test_a_subject_match_ranks_above_a_message_match(self, sara, found):
        assert self.hits(sara, "refund") == ["Refund for returned laptop", "Shirt worn out"]

    def test_message_hits_carry_the_message_for_a_snippet(self, sara, found):
        (hit,) = selectors.case_search(user=sara, query="hole").hits

        assert hit.row.id == found["shirt"].pk
        assert hit.message_body == "The Fancy Shirt T-12377 has a hole; I want a refund."
        assert hit.matched_case is False

    def test_reference(self, sara, found):
        reference = found["other"].reference

        assert selectors.case_find_by_reference(user=sara, text=f"#{reference}") == reference
        assert selectors.case_find_by_reference(user=sara, text="1") == ""
        assert selectors.case_find_by_reference(user=sara, text="refund") == ""
        assert self.hits(sara, reference) == ["Login problem"]

    def test_customers_find_nothing(self, found):
        portal = UserFactory(username="justine", role=Role.CUSTOMER)

        assert self.hits(portal, "refund") == []
        assert selectors.case_find_by_reference(user=portal, text=found["other"].reference) == ""

    def test_paging_and_totals(self, sara):
        for i in range(5):
            make_case(subject=f"Broken charger {i}")

        page = selectors.case_search(user=sara, query="charger", offset=3, limit=2)

        assert (len(page.hits), page.total, page.has_next, page.total_capped) == (2, 5, False, False)

    @pytest.mark.parametrize("count", [2, 12])
    def test_fixed_queries(self, sara, count):
        for i in range(count):
            make_case(subject=f"Broken charger {i}", body="My charger is broken.")
        sara.has_perm("cases.view_case")
        selectors.queue_choices()

        with CaptureQueriesContext(connection) as ctx:
            page = selectors.case_search(user=sara, query="charger")

        assert len(page.hits) == count
        # case index, message index, message -> case, rows, tags, snippets
        assert len(ctx.captured_queries) == 6


class TestSnippet:
    def test_excerpt_around_the_match_with_highlight_spans(self):
        text = "word " * 60 + "the Café order is late " + "more " * 60

        excerpt, spans = selectors.snippet(text, "cafe ord")

        assert excerpt.startswith("… ") and excerpt.endswith(" …")
        assert [excerpt[a:b] for a, b in spans] == ["Café", "ord"]

    def test_only_word_starts_match(self):
        excerpt, spans = selectors.snippet("A refund, not prefunding.", "refund")

        assert [excerpt[a:b] for a, b in spans] == ["refund"]


class TestCustomerCases:
    def test_newest_first_with_counts(self, sara, justine):
        case("old", customer=justine, created=NOW - timedelta(days=2))
        case("done", customer=justine, category=StatusCategory.CLOSED, created=NOW - timedelta(days=1))
        case("new", customer=justine, created=NOW)
        case("someone else's")

        found = selectors.cases_for_customer(user=sara, customer_id=justine.pk, limit=2)

        assert [r.subject for r in found.rows] == ["new", "done"]
        assert (found.active, found.total) == (2, 3)


class TestSavedViews:
    def test_own_and_shared_with_my_teams(self, sara, todd, desk, care):
        mine = SavedView.objects.create(name="Mine", owner=sara, filters={"tab": ["mine"]})
        shared = SavedView.objects.create(
            name="Desk urgent", owner=todd, team=desk, filters={"priority": ["urgent"]}
        )
        SavedView.objects.create(name="Todd's", owner=todd, filters={})
        SavedView.objects.create(name="Care", owner=todd, team=care, filters={})

        assert selectors.saved_views_for_user(sara) == [shared, mine] or selectors.saved_views_for_user(
            sara
        ) == [mine, shared]
        assert {v.name for v in selectors.saved_views_for_user(sara)} == {"Mine", "Desk urgent"}

    def test_customers_have_none(self, sara):
        SavedView.objects.create(name="Mine", owner=sara, filters={})

        assert selectors.saved_views_for_user(UserFactory(role=Role.CUSTOMER)) == []


@pytest.fixture
def real_cache():
    """The configured cache (Redis under make test-pg): choices must survive its pickling."""


def test_choices_are_cached(real_cache, sara, desk):
    first = selectors.queue_choices()
    TeamFactory(name="New team", slug="new-team")

    with CaptureQueriesContext(connection) as ctx:
        again = selectors.queue_choices()

    assert again.teams == first.teams
    assert len(ctx.captured_queries) == 0
    assert (desk.pk, "Shipments Desk") in first.teams
    assert first.user_name(sara.pk) == "Sara Lind"
    selectors.queue_choices_clear()
    assert ("New team" in dict(selectors.queue_choices().teams).values()) is True


def test_case_filter_is_the_only_input(sara):
    """The selector takes the typed filter the API builds too."""
    case("A", priority="urgent")

    assert refs(selectors.case_queue(user=sara, filters=CaseFilter(tab="open", priorities=("urgent",)))) == [
        "A"
    ]
