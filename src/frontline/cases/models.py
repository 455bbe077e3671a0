"""Cases, their messages and attachments, statuses, queues, SLA policies and clocks, escalation,
macros, saved views and handover notes. Data rules only; every write is in services.py (and the
focused service modules next to it: sla.py, assignment.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from frontline.core.models import TimeStampedModel
from frontline.customers.choices import Channel, Direction

from .choices import (
    ACTIVE_CATEGORIES,
    DONE_CATEGORIES,
    AssignmentMode,
    CallOutcome,
    CustomFieldType,
    EscalationAction,
    LinkKind,
    MacroScope,
    MessageKind,
    Priority,
    SlaEventKind,
    SlaMetric,
    StatusCategory,
)

USER = settings.AUTH_USER_MODEL


class CaseStatus(models.Model):
    """An admin-defined status, mapped to one fixed category."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    category = models.CharField(_("category"), max_length=20, choices=StatusCategory.choices)
    # The status a case gets when a service moves it into this category without naming one.
    is_default = models.BooleanField(_("default for its category"), default=False)
    pauses_sla = models.BooleanField(
        _("pauses the SLA clock"),
        default=False,
        help_text=_("While a case has this status its SLA clocks stand still."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = _("case statuses")
        constraints = [
            models.UniqueConstraint(
                fields=["category"], condition=Q(is_default=True), name="case_status_one_default_per_category"
            ),
        ]

    def __str__(self) -> str:
        return str(self.name)


class Category(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class CustomField(models.Model):
    """An admin-defined field on every case; values live in ``Case.custom_fields[key]``."""

    key = models.SlugField(_("key"), max_length=50, unique=True)
    label = models.CharField(_("label"), max_length=100)
    field_type = models.CharField(_("type"), max_length=10, choices=CustomFieldType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True, help_text=_("For choice fields."))
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "label"]

    def __str__(self) -> str:
        return self.label


class Queue(TimeStampedModel):
    """A team's queue and how new cases in it are distributed."""

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="queue")
    assignment_mode = models.CharField(
        _("assignment"), max_length=12, choices=AssignmentMode.choices, default=AssignmentMode.MANUAL
    )
    # Round-robin: the member who got the last case; the next goes to the one after.
    last_assigned = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    default_capacity = models.PositiveSmallIntegerField(
        _("open cases per agent"), default=25, help_text=_("Load-based assignment stops at this many.")
    )
    calendar = models.ForeignKey(
        "BusinessCalendar", null=True, blank=True, on_delete=models.SET_NULL, related_name="queues"
    )

    def __str__(self) -> str:
        return f"{self.team} queue"


class AgentCapacity(models.Model):
    """An agent's own limit of open cases for load-based assignment (else the queue's default)."""

    user = models.OneToOneField(USER, on_delete=models.CASCADE, related_name="case_capacity")
    capacity = models.PositiveSmallIntegerField(_("open cases"), default=25)

    class Meta:
        verbose_name_plural = _("agent capacities")

    def __str__(self) -> str:
        return f"{self.user}: {self.capacity}"


class BusinessCalendar(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="calendar_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BusinessHours(models.Model):
    """One opening interval on a weekday (0 = Monday); several per day are allowed."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"))
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name_plural = _("business hours")
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="business_hours_weekday"),
            models.CheckConstraint(condition=Q(closes__gt=models.F("opens")), name="business_hours_order"),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.opens:%H:%M}-{self.closes:%H:%M}"


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_once_per_day")]

    def __str__(self) -> str:
        return f"{self.date}: {self.name}"


class SlaPolicy(models.Model):
    """Targets for the cases it matches. The first active policy (by position) whose conditions
    all hold applies; an empty condition matches everything. Targets are in business minutes of
    the calendar (24/7 when the calendar is empty)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    categories = models.ManyToManyField(Category, blank=True, related_name="sla_policies")
    organisations = models.ManyToManyField("customers.Organisation", blank=True, related_name="sla_policies")
    customer_tags = models.ManyToManyField(
        "customers.Tag", blank=True, related_name="sla_policies", help_text=_("Customer tier, e.g. vip.")
    )
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="policies"
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (minutes)"), null=True, blank=True
    )
    next_response_minutes = models.PositiveIntegerField(
        _("next response within (minutes)"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(_("resolution within (minutes)"), null=True, blank=True)
    warn_before_minutes = models.PositiveIntegerField(_("warn this many minutes before breach"), default=60)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name


class EscalationLevel(models.Model):
    """What happens when a case has been in breach for ``after_minutes`` (level 1, 2, 3…)."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="escalation_levels")
    level = models.PositiveSmallIntegerField(_("level"))
    after_minutes = models.PositiveIntegerField(_("minutes after breach"), default=0)
    action = models.CharField(_("action"), max_length=20, choices=EscalationAction.choices)

    class Meta:
        ordering = ["policy", "level"]
        constraints = [models.UniqueConstraint(fields=["policy", "level"], name="escalation_level_unique")]

    def __str__(self) -> str:
        return f"{self.policy} L{self.level}: {self.get_action_display()}"


class ReferenceSequence(models.Model):
    """The last case reference handed out (one row); locked while a number is taken."""

    name = models.CharField(max_length=30, unique=True)
    last_value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_value}"


class Case(TimeStampedModel):
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    subject = models.CharField(_("subject"), max_length=255)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="cases")
    organisation = models.ForeignKey(
        "customers.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.ForeignKey(CaseStatus, on_delete=models.PROTECT, related_name="cases")
    # Copy of status.category, kept in step by the services: every queue filters on it.
    status_category = models.CharField(
        max_length=20, choices=StatusCategory.choices, default=StatusCategory.NEW
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    assignee = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_cases"
    )
    # When the current assignee got the case (load-based assignment breaks ties on it).
    assigned_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    tags = models.ManyToManyField("customers.Tag", blank=True, related_name="cases")
    custom_fields = models.JSONField(default=dict, blank=True)

    # Timeline of the case
    first_response_at = models.DateTimeField(null=True, blank=True)
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    last_agent_reply_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    message_count = models.PositiveIntegerField(default=0)

    # Escalation: the level reached by SLA escalation, and the team a case was escalated from
    # (to technical support) so it can go back.
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_from_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who had the case when it went to technical support; it returns to them.
    escalated_from_assignee = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)

    # SLA: the applied policy and the earliest due time of its running clocks (the queue sorts
    # on it); details are in SlaClock.
    sla_policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_paused = models.BooleanField(default=False)
    sla_breached = models.BooleanField(default=False)

    # Resolution follow-up: asked the customer to confirm; no reply by the due time closes it.
    follow_up_sent_at = models.DateTimeField(null=True, blank=True)
    follow_up_due_at = models.DateTimeField(null=True, blank=True)

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("assign_case", "Can assign and forward cases"),
            ("escalate_case", "Can escalate cases"),
            ("merge_case", "Can merge and split cases"),
            ("reply_case", "Can reply to customers on cases"),
            ("manage_case_settings", "Can manage statuses, SLA policies, macros of the team"),
        ]
        indexes = [
            models.Index(
                fields=["assignee", "status_category", "sla_due_at"], name="case_assignee_queue_idx"
            ),
            models.Index(fields=["team", "status_category", "sla_due_at"], name="case_team_queue_idx"),
            models.Index(fields=["status_category", "sla_due_at"], name="case_status_due_idx"),
            # Every case by SLA due (the API's default list): 19 ms -> 0.7 ms at 100k cases (bench/).
            models.Index(fields=["sla_due_at", "id"], name="case_due_idx"),
            models.Index(fields=["status_category", "-created_at"], name="case_status_created_idx"),
            models.Index(fields=["customer", "-created_at"], name="case_customer_idx"),
            models.Index(fields=["follow_up_due_at"], name="case_follow_up_idx"),
            # The queue's tabs (active cases by SLA due, all / per team / per assignee): partial,
            # so an "active" filter reads the first page in index order instead of sorting every
            # active case (PostgreSQL; SQLite sorts the covering index above just as fast).
            models.Index(
                fields=["sla_due_at", "id"],
                condition=Q(status_category__in=sorted(ACTIVE_CATEGORIES)),
                name="case_active_due_idx",
            ),
            models.Index(
                fields=["team", "sla_due_at", "id"],
                condition=Q(status_category__in=sorted(ACTIVE_CATEGORIES)),
                name="case_active_team_due_idx",
            ),
            models.Index(
                fields=["assignee", "sla_due_at", "id"],
                condition=Q(status_category__in=sorted(ACTIVE_CATEGORIES)),
                name="case_active_assignee_due_idx",
            ),
            # The queue filtered by priority ("all open, urgent"): SQLite reads one range per
            # status category instead of every active case.
            models.Index(
                fields=["status_category", "priority", "sla_due_at"], name="case_status_priority_due_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("id")), name="case_not_merged_into_self"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.reference} {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("cases:case_detail", args=[self.reference])

    @property
    def is_active(self) -> bool:
        return self.status_category in ACTIVE_CATEGORIES

    @property
    def is_done(self) -> bool:
        return self.status_category in DONE_CATEGORIES

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    def can_reply(self) -> bool:
        return not self.is_merged and self.status_category != StatusCategory.CLOSED

    def can_escalate(self) -> bool:
        return not self.is_merged and not self.is_done

    def can_merge(self) -> bool:
        return not self.is_merged


class CaseLink(models.Model):
    """A "related" (or duplicate / caused-by) link between two cases; stored once per pair."""

    from_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_out")
    to_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=12, choices=LinkKind.choices, default=LinkKind.RELATED)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_case", "to_case"], name="case_link_once"),
            models.CheckConstraint(condition=~Q(from_case=models.F("to_case")), name="case_link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.from_case_id} {self.kind} {self.to_case_id}"


class Message(models.Model):
    """A public reply, internal note, logged call or system message on a case.

    Append-heavy: partitionable by month on (case, created_at). ``external_id`` is the channel's
    own message id (email Message-ID, chat event id…): one message per channel and id.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices, default=MessageKind.REPLY)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    author = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="case_messages"
    )
    author_label = models.CharField(max_length=150, blank=True)
    body = models.TextField(_("message"))
    external_id = models.CharField(max_length=255, blank=True)
    mentions: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        USER, blank=True, related_name="case_mentions", through="Mention"
    )
    # Phone calls
    call_duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    call_outcome = models.CharField(max_length=12, choices=CallOutcome.choices, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at", "id"], name="message_thread_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="message_external_id_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.case_id}"

    @property
    def is_public(self) -> bool:
        """Visible to the customer (portal, notifications); notes, calls and system lines are not."""
        return self.kind == MessageKind.REPLY


class Mention(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mention_rows")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="mention_rows")
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="mention_once")]
        indexes = [models.Index(fields=["user", "read_at"], name="mention_unread_idx")]

    def __str__(self) -> str:
        return f"@{self.user_id} on message {self.message_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"cases/{instance.sha256[:2]}/{instance.sha256}/{filename}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.filename


class SlaClock(models.Model):
    """One SLA target running on a case: first response, next response or resolution.

    ``due_at`` is recomputed on pause/resume (business time stands still while paused).
    A case has at most one running clock per metric; finished clocks stay as history.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sla_clocks")
    metric = models.CharField(max_length=16, choices=SlaMetric.choices)
    target_minutes = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    paused_at = models.DateTimeField(null=True, blank=True)
    # Business seconds consumed before the current run (pauses excluded).
    consumed_seconds = models.PositiveIntegerField(default=0)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)  # met or cancelled
    met = models.BooleanField(null=True)  # None while running; True met in time; False met late

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(
                fields=["due_at"], name="sla_clock_running_due_idx", condition=Q(stopped_at__isnull=True)
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "metric"], condition=Q(stopped_at__isnull=True), name="sla_clock_one_running"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.metric} due {self.due_at:%Y-%m-%d %H:%M}"


class SlaEvent(models.Model):
    """Append-only SLA history of a case: start, pause, resume, warning, breach, met, escalation."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sla_events")
    clock = models.ForeignKey(
        SlaClock, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    metric = models.CharField(max_length=16, choices=SlaMetric.choices, blank=True)
    kind = models.CharField(max_length=12, choices=SlaEventKind.choices)
    at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="sla_event_case_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.metric} {self.kind} @ {self.at:%Y-%m-%d %H:%M}"


class EscalationFiring(models.Model):
    """Proof that an escalation level fired for a breached clock: the unique constraint makes
    every level fire exactly once however many workers sweep at the same time."""

    clock = models.ForeignKey(SlaClock, on_delete=models.CASCADE, related_name="escalations")
    level = models.PositiveSmallIntegerField()
    action = models.CharField(max_length=20, choices=EscalationAction.choices)
    fired_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clock", "level"], name="escalation_fires_once")]

    def __str__(self) -> str:
        return f"clock {self.clock_id} level {self.level}"


class Macro(TimeStampedModel):
    """A canned reply with placeholders ({{ customer.first_name }}, {{ case.reference }}, …) and
    optional actions (status, tags) applied with it."""

    name = models.CharField(_("name"), max_length=100)
    body = models.TextField(_("text"))
    scope = models.CharField(
        _("shared with"), max_length=10, choices=MacroScope.choices, default=MacroScope.PERSONAL
    )
    owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.CASCADE, related_name="macros")
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="macros"
    )
    set_status = models.ForeignKey(
        CaseStatus, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    add_tags = models.JSONField(default=list, blank=True)
    is_internal = models.BooleanField(_("internal note"), default=False)
    usage_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SavedView(TimeStampedModel):
    """A named set of queue filters; personal, or shared with a team."""

    name = models.CharField(_("name"), max_length=100)
    owner = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="saved_case_views")
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    filters = models.JSONField(default=dict)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class HandoverNote(models.Model):
    """A shift note: on one case (``case`` set) or a shift summary for the team (no case).
    Shown on the next shift's dashboard until acknowledged."""

    author = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="handover_notes")
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="handover_notes"
    )
    handed_to = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["team", "acknowledged_at", "-created_at"], name="handover_open_idx")]

    def __str__(self) -> str:
        return self.body[:50]
