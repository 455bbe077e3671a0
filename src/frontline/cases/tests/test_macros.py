"""Macros: whitelisted placeholders, who may share and change them, and applying one to a case."""

from __future__ import annotations

import pytest

from frontline.audit.models import AuditEntry
from frontline.cases import macros, services
from frontline.cases.choices import MessageKind, StatusCategory
from frontline.cases.errors import StaleReplyError
from frontline.cases.models import Case, CustomField, Macro, Message
from frontline.core.errors import Conflict, DomainError, FieldErrors, NotFound, PermissionDeniedError

from .factories import CustomerFactory, MembershipFactory, TeamFactory, UserFactory, make_case

pytestmark = pytest.mark.django_db

GREETING = "Hello {{ customer.first_name }}, about #{{case.reference}}: {{ agent.first_name }}"


@pytest.fixture
def team():
    return TeamFactory(name="Support", slug="support")


@pytest.fixture
def sara(team):
    user = UserFactory(username="sara", first_name="Sara", last_name="Lind")
    MembershipFactory(team=team, user=user)
    return user


@pytest.fixture
def isabella(team):
    user = UserFactory(username="isabella", role="lead", first_name="Isabella", last_name="Hernández")
    MembershipFactory(team=team, user=user, is_lead=True)
    return user


@pytest.fixture
def case():
    customer = CustomerFactory(first_name="Justine", last_name="Harrington")
    return make_case(customer=customer, subject="Shirt worn out")


class TestCreate:
    def test_personal_macro_with_placeholders_status_and_tags(self, sara):
        macro = macros.macro_create(
            by=sara,
            name=" Greeting ",
            body=GREETING,
            scope="personal",
            set_status="waiting-on-customer",
            add_tags=[" Quality ", "quality", "Shirts"],
        )

        macro.refresh_from_db()
        assert (macro.name, macro.owner, macro.team, macro.scope) == ("Greeting", sara, None, "personal")
        assert (macro.set_status.slug, macro.add_tags, macro.usage_count) == (
            "waiting-on-customer",
            ["quality", "shirts"],
            0,
        )
        entry = AuditEntry.objects.get(verb="macro.created")
        assert entry.data["scope"] == "personal" and entry.data["add_tags"] == ["quality", "shirts"]

    @pytest.mark.parametrize(
        "body",
        [
            "Hi {{ customer.password }}",
            "Hi {{ customer.first_name|upper }}",
            "{{ case.customer.user.email }}",
            "{{settings.SECRET_KEY}}",
            "{{ }}",
        ],
    )
    def test_unknown_placeholders_are_refused_and_nothing_is_saved(self, sara, body):
        with pytest.raises(FieldErrors) as error:
            macros.macro_create(by=sara, name="Bad", body=body, scope="personal")

        assert set(error.value.errors) == {"body"}
        assert error.value.errors["body"][0].startswith("Unknown placeholder {{ ")
        assert not Macro.objects.exists()

    def test_every_input_is_checked_at_once(self, sara):
        with pytest.raises(FieldErrors) as error:
            macros.macro_create(by=sara, name=" ", body="", scope="team", set_status="nonsense")

        assert set(error.value.errors) == {"name", "body", "team", "set_status"}
        assert not Macro.objects.exists()

    def test_sharing_needs_a_lead_or_an_administrator(self, team, sara, isabella):
        for scope, team_id in (("team", team.pk), ("global", None)):
            with pytest.raises(PermissionDeniedError):
                macros.macro_create(by=sara, name="Shared", body="Hi", scope=scope, team_id=team_id)
        assert not Macro.objects.exists()

        shared = macros.macro_create(by=isabella, name="Shared", body="Hi", scope="team", team_id=team.pk)
        everyone = macros.macro_create(by=isabella, name="Everyone", body="Hi", scope="global")
        other_team = TeamFactory()
        with pytest.raises(PermissionDeniedError):
            macros.macro_create(by=isabella, name="Theirs", body="Hi", scope="team", team_id=other_team.pk)

        assert (shared.team, everyone.team) == (team, None)

    def test_names_are_unique_per_owner_team_or_everyone(self, sara):
        macros.macro_create(by=sara, name="Refund", body="Hi", scope="personal")
        with pytest.raises(Conflict) as error:
            macros.macro_create(by=sara, name="refund", body="Hello", scope="personal")
        assert error.value.field == "name"
        other = UserFactory(username="omar")
        macros.macro_create(by=other, name="Refund", body="Hi", scope="personal")
        assert Macro.objects.count() == 2

    def test_customers_cannot_create_macros(self):
        customer_user = UserFactory(username="justine", role="customer")
        with pytest.raises(PermissionDeniedError):
            macros.macro_create(by=customer_user, name="x", body="y", scope="personal")
        assert not Macro.objects.exists()


class TestForUser:
    def test_own_personal_my_teams_and_global_in_one_query(
        self, team, sara, isabella, django_assert_num_queries
    ):
        mine = macros.macro_create(by=sara, name="B mine", body="x", scope="personal")
        macros.macro_create(by=isabella, name="A isabella's own", body="x", scope="personal")
        ours = macros.macro_create(by=isabella, name="C team", body="x", scope="team", team_id=team.pk)
        everyone = macros.macro_create(by=isabella, name="D global", body="x", scope="global")
        elsewhere = TeamFactory()
        lead = UserFactory(username="thomas", role="lead")
        MembershipFactory(team=elsewhere, user=lead, is_lead=True)
        macros.macro_create(by=lead, name="E other team", body="x", scope="team", team_id=elsewhere.pk)

        with django_assert_num_queries(1):
            visible = macros.macros_for_user(sara)
            assert [(m.name, m.team.name if m.team else None) for m in visible] == [
                ("B mine", None),
                ("C team", "Support"),
                ("D global", None),
            ]
        assert visible == [mine, ours, everyone]


class TestRender:
    def test_every_placeholder_is_filled_in_as_plain_text(self, sara):
        CustomField.objects.create(key="order_number", label="Order number", field_type="text")
        customer = CustomerFactory(first_name="Justine", last_name="Harrington")
        case = make_case(
            customer=customer, subject="Shirt worn out", custom_fields={"order_number": "SO-1042"}
        )
        macro = Macro(
            name="all",
            body=(
                "{{ customer.first_name }}|{{ customer.last_name }}|{{ customer.full_name }}|"
                "{{ case.reference }}|{{ case.subject }}|{{ agent.first_name }}|{{ agent.full_name }}|"
                "{{ order.number }}|{% if x %}<b>{{ unknown }}</b>"
            ),
        )

        text = macros.macro_render(macro=macro, case=case, by=sara)

        assert text == (
            f"Justine|Harrington|Justine Harrington|{case.reference}|Shirt worn out|Sara|Sara Lind|"
            "SO-1042|{% if x %}<b>{{ unknown }}</b>"
        )

    def test_values_are_not_expanded_again_and_a_missing_order_is_empty(self, sara):
        customer = CustomerFactory(first_name="{{ case.reference }}", last_name="X", email="x@example.com")
        case = make_case(customer=customer)
        macro = Macro(name="x", body="Dear {{ customer.first_name }}, order {{ order.number }}.")

        assert macros.macro_render(macro=macro, case=case, by=None) == "Dear {{ case.reference }}, order ."


class TestUpdateAndDelete:
    def test_owner_updates_and_keeps_what_is_not_given(self, sara):
        macro = macros.macro_create(
            by=sara, name="Greeting", body="Hi", scope="personal", set_status="resolved", add_tags=["a"]
        )

        macros.macro_update(macro_id=macro.pk, by=sara, body="Hello {{ customer.first_name }}")
        macro.refresh_from_db()
        assert (macro.body, macro.set_status.slug, macro.add_tags) == (
            "Hello {{ customer.first_name }}",
            "resolved",
            ["a"],
        )

        macros.macro_update(macro_id=macro.pk, by=sara, set_status=None, add_tags=[], is_internal=True)
        macro.refresh_from_db()
        assert (macro.set_status, macro.add_tags, macro.is_internal) == (None, [], True)
        changes = [e.data["changes"] for e in AuditEntry.objects.filter(verb="macro.updated").order_by("id")]
        assert changes == [
            {"body": ["Hi", "Hello {{ customer.first_name }}"]},
            {"set_status": ["resolved", None], "add_tags": [["a"], []], "is_internal": [False, True]},
        ]

    def test_unknown_placeholder_on_update_is_refused(self, sara):
        macro = macros.macro_create(by=sara, name="Greeting", body="Hi", scope="personal")

        with pytest.raises(FieldErrors) as error:
            macros.macro_update(macro_id=macro.pk, by=sara, body="Hi {{ customer.email }}")

        assert set(error.value.errors) == {"body"}
        assert Macro.objects.get(pk=macro.pk).body == "Hi"
        assert not AuditEntry.objects.filter(verb="macro.updated").exists()

    def test_others_cannot_change_a_personal_macro_but_a_lead_can_change_a_team_one(
        self, team, sara, isabella
    ):
        personal = macros.macro_create(by=isabella, name="Mine", body="Hi", scope="personal")
        shared = macros.macro_create(by=isabella, name="Team", body="Hi", scope="team", team_id=team.pk)
        admin = UserFactory(username="admin", role="admin")
        other_lead = UserFactory(username="thomas", role="lead")
        MembershipFactory(team=team, user=other_lead, is_lead=True)

        for user in (sara, admin):
            with pytest.raises(PermissionDeniedError):
                macros.macro_update(macro_id=personal.pk, by=user, name="Stolen")
        with pytest.raises(PermissionDeniedError):
            macros.macro_delete(macro_id=shared.pk, by=sara)

        macros.macro_update(macro_id=shared.pk, by=other_lead, name="Team reply")
        macros.macro_delete(macro_id=shared.pk, by=admin)

        assert list(Macro.objects.values_list("name", flat=True)) == ["Mine"]
        assert AuditEntry.objects.get(verb="macro.deleted").data["name"] == "Team reply"

    def test_unknown_macro(self, sara):
        with pytest.raises(NotFound):
            macros.macro_delete(macro_id=123456, by=sara)


class TestApply:
    def test_public_macro_replies_sets_status_adds_tags_and_counts(self, sara, case):
        services.case_update(case_id=case.pk, by=sara, changes={}, tags=["shirts"])
        macro = macros.macro_create(
            by=sara,
            name="Need photo",
            body="Hello {{ customer.first_name }}, please send a photo. {{ agent.full_name }}",
            scope="personal",
            set_status="waiting-on-customer",
            add_tags=["photo-requested"],
        )

        message = macros.macro_apply(case_id=case.pk, macro_id=macro.pk, by=sara)

        case.refresh_from_db()
        assert (message.kind, message.direction, message.author) == (MessageKind.REPLY, "outbound", sara)
        assert message.body == "Hello Justine, please send a photo. Sara Lind"
        assert (case.status.slug, case.status_category) == (
            "waiting-on-customer",
            StatusCategory.PENDING_CUSTOMER,
        )
        assert sorted(case.tags.values_list("name", flat=True)) == ["photo-requested", "shirts"]
        assert Macro.objects.get(pk=macro.pk).usage_count == 1
        entry = AuditEntry.objects.get(verb="macro.applied")
        assert entry.data == {"macro_id": macro.pk, "message_id": message.pk, "edited": False}

    def test_internal_macro_is_a_note_and_keeps_a_new_case_new(self, sara, case):
        macro = macros.macro_create(
            by=sara, name="Check", body="Checked #{{ case.reference }}", scope="personal", is_internal=True
        )

        message = macros.macro_apply(case_id=case.pk, macro_id=macro.pk, by=sara)

        case.refresh_from_db()
        assert (message.kind, message.body) == (MessageKind.NOTE, f"Checked #{case.reference}")
        assert (case.status_category, case.first_response_at) == (StatusCategory.NEW, None)

    def test_edited_text_is_sent_with_its_placeholders_filled(self, sara, case):
        macro = macros.macro_create(by=sara, name="Hi", body="Hi", scope="personal")

        message = macros.macro_apply(
            case_id=case.pk, macro_id=macro.pk, by=sara, body_override="Dear {{ customer.full_name }}!"
        )

        assert message.body == "Dear Justine Harrington!"
        assert AuditEntry.objects.get(verb="macro.applied").data["edited"] is True

    def test_bad_override_stale_reply_and_foreign_macro_write_nothing(self, team, sara, case):
        macro = macros.macro_create(by=sara, name="Hi", body="Hi", scope="personal", add_tags=["x"])
        seen = case.messages.get().pk
        omar = UserFactory(username="omar")
        services.message_reply(case_id=case.pk, by=omar, body="Answered already")
        before = Message.objects.count()

        with pytest.raises(DomainError) as error:
            macros.macro_apply(case_id=case.pk, macro_id=macro.pk, by=sara, body_override="{{ x.y }}")
        assert error.value.field == "body"
        with pytest.raises(StaleReplyError):
            macros.macro_apply(case_id=case.pk, macro_id=macro.pk, by=sara, seen_message_id=seen)
        with pytest.raises(NotFound):
            macros.macro_apply(case_id=case.pk, macro_id=macro.pk, by=omar)

        assert Message.objects.count() == before
        assert Macro.objects.get(pk=macro.pk).usage_count == 0
        assert not Case.objects.get(pk=case.pk).tags.exists()
        assert not AuditEntry.objects.filter(verb="macro.applied").exists()
