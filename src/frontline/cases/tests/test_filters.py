"""The one case-list filter definition: parsing query parameters into a typed filter, every bad
parameter named at once, and the canonical parameters back (saved views, links, the API)."""

from __future__ import annotations

from datetime import date

import pytest
from django.http import QueryDict

from frontline.cases.filters import (
    ACTIVE_LIST,
    MAX_OFFSET,
    CaseFilter,
    parse_case_filter,
    parse_page,
)
from frontline.core.errors import FieldErrors


def parse(query: str) -> CaseFilter:
    return parse_case_filter(QueryDict(query))


def errors_of(query: str) -> dict[str, list[str]]:
    with pytest.raises(FieldErrors) as caught:
        parse(query)
    return caught.value.errors


class TestParse:
    def test_nothing_is_the_unfiltered_list_sorted_by_sla_due(self):
        assert parse("") == CaseFilter()
        assert CaseFilter().tab == ""
        assert CaseFilter().sort == "due"
        assert not CaseFilter().is_filtered

    @pytest.mark.parametrize("tab", ["mine", "team", "unassigned", "breaching", "open"])
    def test_tabs(self, tab):
        assert parse(f"tab={tab}").tab == tab

    def test_tab_all_is_no_tab(self):
        assert parse("tab=all").tab == ""

    def test_tabs_other_than_all_show_active_cases_unless_a_status_is_given(self):
        assert parse("tab=mine").effective_categories() == ACTIVE_LIST
        assert parse("tab=all").effective_categories() == ()
        assert parse("tab=mine&status=resolved").effective_categories() == ("resolved",)
        assert parse("tab=mine&status=7").effective_categories() == ()

    def test_status_takes_categories_active_and_status_ids_repeated_or_comma_separated(self):
        f = parse("status=resolved,closed&status=12&status=resolved")

        assert f.categories == ("resolved", "closed")
        assert f.status_ids == (12,)
        assert parse("status=active").categories == ACTIVE_LIST

    def test_every_list_parameter(self):
        f = parse(
            "priority=urgent,high&team=3&team=none&assignee=me,none,9&tag=VIP,refund&channel=email,phone"
            "&sla=overdue&customer=42&created_from=2026-01-01&created_to=2026-01-31&sort=-priority"
        )

        assert f.priorities == ("urgent", "high")
        assert (f.team_ids, f.no_team) == ((3,), True)
        assert (f.assignee_ids, f.assignee_me, f.unassigned) == ((9,), True, True)
        assert f.tags == ("vip", "refund")
        assert f.channels == ("email", "phone")
        assert f.sla == "overdue"
        assert (f.customer_id, f.customer_query) == (42, "")
        assert (f.created_from, f.created_to) == (date(2026, 1, 1), date(2026, 1, 31))
        assert f.sort == "-priority"
        assert f.is_filtered

    def test_customer_text_is_a_search(self):
        f = parse("customer=justine+harr")

        assert (f.customer_id, f.customer_query) == (None, "justine harr")

    def test_a_plain_mapping_works_like_a_query_dict(self):
        f = parse_case_filter({"tab": "team", "status": ["new", "open"], "priority": "high", "team": 4})

        assert (f.tab, f.categories, f.priorities, f.team_ids) == ("team", ("new", "open"), ("high",), (4,))

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("tab=everything", "tab"),
            ("status=bogus", "status"),
            ("status=-3", "status"),
            ("priority=asap", "priority"),
            ("team=abc", "team"),
            ("team=0", "team"),
            ("assignee=somebody", "assignee"),
            ("assignee=99999999999999999999999", "assignee"),
            ("channel=pigeon", "channel"),
            ("sla=yesterday", "sla"),
            ("created_from=31/01/2026", "created_from"),
            ("created_to=2026-02-30", "created_to"),
            ("created_from=2026-02-01&created_to=2026-01-01", "created_to"),
            ("sort=reference", "sort"),
        ],
    )
    def test_bad_values_are_named(self, query, field):
        assert field in errors_of(query)

    def test_every_bad_parameter_is_reported_at_once(self):
        errors = errors_of("tab=x&priority=asap&team=abc&sort=nope")

        assert set(errors) == {"tab", "priority", "team", "sort"}
        assert errors["priority"] == ["Unknown priority asap."]

    def test_too_many_values(self):
        assert "tag" in errors_of("tag=" + ",".join(f"t{i}" for i in range(51)))


class TestToParams:
    def test_defaults_are_left_out(self):
        assert CaseFilter().to_params() == {}
        assert CaseFilter(tab="mine").to_params() == {"tab": ["mine"]}

    def test_round_trip(self):
        f = parse(
            "tab=team&status=new,4&priority=urgent&team=none,3&assignee=me,none,9&tag=vip&channel=email"
            "&sla=4h&customer=justine&created_from=2026-01-01&created_to=2026-01-31&sort=-created"
        )

        assert parse_case_filter(f.to_params()) == f
        assert f.to_params()["assignee"] == ["me", "none", "9"]

    def test_active_statuses_are_written_as_active(self):
        assert parse("status=new,on_hold,open,pending_customer").to_params() == {"status": ["active"]}

    def test_query_items_for_urlencode(self):
        assert CaseFilter(tab="open", priorities=("high", "urgent")).to_query_items() == [
            ("tab", "open"),
            ("priority", "high"),
            ("priority", "urgent"),
        ]


class TestParsePage:
    def test_defaults(self):
        assert parse_page(QueryDict("")) == (0, 50)
        assert parse_page(QueryDict(""), default_limit=25) == (0, 25)

    def test_values(self):
        assert parse_page(QueryDict("offset=100&limit=25")) == (100, 25)

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("offset=-1", "offset"),
            ("offset=x", "offset"),
            (f"offset={MAX_OFFSET + 1}", "offset"),
            ("limit=51", "limit"),
            ("limit=all", "limit"),
        ],
    )
    def test_bad_values(self, query, field):
        with pytest.raises(FieldErrors) as caught:
            parse_page(QueryDict(query))

        assert field in caught.value.errors
