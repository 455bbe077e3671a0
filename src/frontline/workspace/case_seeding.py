"""The cases part of ``frontline seed``: case settings, the seeds' cases, the generated volume,
queues, macros and shift handover notes (``demo_cases`` says what, ``case_writer`` writes it).

Order matters: settings first; the seeds' cases through the services while every queue is still
manual (their stories say who takes them); then the queues get their modes, capacities and
availability; then the volume in bulk; last the reference counter, macros and handover notes.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Max

from frontline.accounts.models import Team
from frontline.cases import assignment, handover, macros
from frontline.cases.models import (
    BusinessCalendar,
    BusinessHours,
    Case,
    CaseStatus,
    Category,
    CustomField,
    EscalationLevel,
    Holiday,
    ReferenceSequence,
    SlaPolicy,
)
from frontline.cases.numbering import FIRST, SEQUENCE

from . import demo_cases, demo_data
from .case_writer import BulkWriter, ServiceWriter, World, load_customers, story_clock
from .demo_cases import CaseGenerator, CaseScript, CustomerRef, TeamRef

CHUNK = 2_000  # generated cases written per batch (search documents are indexed per batch)


class CaseSeeder:
    def __init__(
        self,
        *,
        now: datetime,
        rng: random.Random,
        users: dict[str, Any],
        customer_ids: Sequence[int],
        refs: Sequence[CustomerRef],
        cases: int,
        days: int,
        progress: bool = False,
    ) -> None:
        self.now = now
        self.rng = rng
        self.users = users
        self.customer_ids = customer_ids
        self.refs = refs
        self.cases = cases
        self.days = days
        self.progress = progress
        self.counts: dict[str, int] = {}
        self.timings: dict[str, float] = {}

    # --- settings ---------------------------------------------------------------------------------
    def settings(self) -> None:
        Category.objects.bulk_create(
            [Category(name=c.name, slug=c.slug, description=c.description) for c in demo_cases.CATEGORIES]
        )
        CustomField.objects.bulk_create(
            [
                CustomField(key=key, label=label, field_type=kind, position=position)
                for position, (key, label, kind) in enumerate(demo_cases.CUSTOM_FIELDS, start=1)
            ]
        )
        name, slug, category, position = demo_cases.AWAITING_APPROVAL
        CaseStatus.objects.create(name=name, slug=slug, category=category, position=position)
        calendar = BusinessCalendar.objects.create(
            name=demo_cases.CALENDAR_NAME, time_zone=demo_cases.CALENDAR_TIME_ZONE
        )
        BusinessHours.objects.bulk_create(
            [
                BusinessHours(calendar=calendar, weekday=weekday, opens=opens, closes=closes)
                for weekday, opens, closes in demo_cases.CALENDAR_HOURS
            ]
        )
        years = range(self.now.year - 1, self.now.year + 2)
        Holiday.objects.bulk_create(
            [Holiday(calendar=calendar, date=day, name=name) for day, name in demo_cases.holidays(years)]
        )
        spec = demo_cases.BUSINESS_HOURS_POLICY
        policy = SlaPolicy.objects.create(
            name=spec.name,
            position=spec.position,
            priorities=list(spec.priorities),
            calendar=calendar,
            first_response_minutes=spec.first_response_minutes,
            next_response_minutes=spec.next_response_minutes,
            resolution_minutes=spec.resolution_minutes,
            warn_before_minutes=spec.warn_before_minutes,
        )
        EscalationLevel.objects.bulk_create(
            [
                EscalationLevel(policy=policy, level=level, after_minutes=after, action=action)
                for level, after, action in demo_cases.ESCALATION_LEVELS
            ]
        )
        self.counts["case_categories"] = len(demo_cases.CATEGORIES)

    def queues(self) -> None:
        """Queue modes, capacities and who is online, through the assignment services."""
        teams = {t.slug: t for t in Team.objects.all()}
        for spec in demo_cases.QUEUES:
            assignment.queue_configure(
                team_id=teams[spec.team].pk,
                by=None,
                assignment_mode=spec.mode,
                default_capacity=spec.capacity,
            )
        for username, capacity in sorted(demo_cases.CAPACITIES.items()):
            assignment.capacity_set(user_id=self.users[username].pk, by=None, capacity=capacity)
        for username, availability in sorted(demo_cases.AVAILABILITY.items()):
            assignment.availability_set(user_id=self.users[username].pk, by=None, availability=availability)

    # --- cases ------------------------------------------------------------------------------------
    def team_refs(self) -> dict[str, TeamRef]:
        """The teams as the generator sees them: who works the queue (not the leads, not the
        reporter), and how it distributes."""
        modes = {q.team: q for q in demo_cases.QUEUES}
        roles = {m.username: m.role for m in demo_data.STAFF}
        refs = {}
        for spec in demo_data.TEAMS:
            queue = modes.get(spec.slug)
            workers = tuple(m for m in spec.members if roles[m] in ("agent", "tech", "lead"))
            refs[spec.slug] = TeamRef(
                spec.slug,
                spec.lead,
                workers,
                mode=queue.mode if queue else "manual",
                capacity=queue.capacity if queue else 25,
            )
        return refs

    def run(self) -> dict[str, int]:
        started = time.monotonic()
        self.settings()
        stories = demo_cases.story_scripts(self.now)
        generated = max(0, self.cases - len(stories))
        first_generated = len(demo_data.STORY_CUSTOMERS)  # the twin, then the generated customers
        generator = CaseGenerator(
            self.rng,
            now=self.now,
            start=self.now - timedelta(days=self.days),
            customers=self.refs,
            teams=self.team_refs(),
            calendar=demo_cases.calendar_snapshot(self.now),
            capacities=demo_cases.CAPACITIES,
        )
        moments = generator.moments(generated)
        references = self._references(stories, moments)  # generated case number -> reference

        portal_users = {
            self.customer_ids[index]: self.users[story.portal_username]
            for index, story in enumerate(demo_data.STORY_CUSTOMERS)
            if story.portal_username
        }
        ServiceWriter(now=self.now, customer_ids=self.customer_ids, portal_users=portal_users).write(stories)
        self.queues()
        self.timings["case_stories"] = time.monotonic() - started
        started = time.monotonic()

        writer = BulkWriter(
            now=self.now,
            customers=load_customers(self.customer_ids[first_generated:]),
            world=World.load(),
        )
        writer.tags(sorted({t.tag for t in demo_cases.TOPICS if t.tag}))
        bar = self._bar(generated)
        try:
            for start in range(0, generated, CHUNK):
                batch = [
                    generator.script(index, moments[index])
                    for index in range(start, min(start + CHUNK, generated))
                ]
                for offset, script in enumerate(batch):
                    script.reference = str(references[start + offset])
                writer.write(batch)
                bar.update(len(batch))
        except BaseException:
            writer.abort()  # stop the writing thread before the transaction rolls back
            raise
        finally:
            bar.close()
        written = writer.close()
        self.timings["case_bulk"] = time.monotonic() - started
        last = Case.objects.filter(reference__regex=r"^[0-9]+$").aggregate(Max("reference"))["reference__max"]
        ReferenceSequence.objects.update_or_create(
            name=SEQUENCE, defaults={"last_value": max(FIRST, int(last or 0))}
        )
        self.extras()
        self.counts.update(
            cases=len(stories) + generated,
            story_cases=len(stories),
            case_messages=written.get("cases.Message", 0),
            sla_clocks=written.get("cases.SlaClock", 0),
        )
        return self.counts

    def _references(self, stories: list[CaseScript], moments: list[datetime]) -> list[int]:
        """Hand out references in the order cases arrived (the seeds' claims keep theirs)."""
        arrivals = [(s.created_at, 0, i) for i, s in enumerate(stories) if not s.reference]
        arrivals += [(moment, 1, i) for i, moment in enumerate(moments)]
        arrivals.sort()
        generated = [0] * len(moments)
        value = FIRST
        for _when, kind, index in arrivals:
            value += 1
            if kind == 0:
                stories[index].reference = str(value)
            else:
                generated[index] = value
        return generated

    def extras(self) -> None:
        """Macros (personal, team, global) and seed 004's shift handover, by their authors."""
        teams = {t.slug: t for t in Team.objects.all()}
        with story_clock(self.now - timedelta(days=20)):
            for spec in demo_cases.MACROS:
                macros.macro_create(
                    by=self.users[spec.owner],
                    name=spec.name,
                    body=spec.body,
                    scope=spec.scope,
                    team_id=teams[spec.team].pk if spec.team else None,
                    set_status=spec.set_status or None,
                    add_tags=spec.add_tags,
                    is_internal=spec.is_internal,
                )
        shift_end = self.now - timedelta(hours=14)
        for number, note in enumerate(demo_cases.HANDOVER):
            case = Case.objects.filter(subject=note.subject).first() if note.subject else None
            with story_clock(shift_end + timedelta(minutes=5 * number)):
                handover.handover_note_add(
                    by=self.users[note.author],
                    body=note.body,
                    case_id=case.pk if case else None,
                    team_id=teams["shipments"].pk if case is None else None,
                    handed_to_id=self.users[note.handed_to].pk if note.handed_to else None,
                )
        self.counts["macros"] = len(demo_cases.MACROS)
        self.counts["handover_notes"] = len(demo_cases.HANDOVER)

    def _bar(self, total: int) -> Any:
        from tqdm import tqdm

        return tqdm(
            total=total,
            desc="Seeding cases",
            unit="case",
            file=sys.stderr,
            leave=False,
            disable=not self.progress,
        )
