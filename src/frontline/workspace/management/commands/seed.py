"""``frontline seed --scale {demo,s,m,l}``: fill an empty database with the demo data set.

Deterministic: one ``random.Random(demo_data.SEED)`` draws everything, so two runs give the same
people, in the same order, with the same stories (dates are relative to the time of the run).

* Staff (one per role, DESIGN.md section 4), teams and portal logins go through the accounts
  services, so they are audited like any user an administrator creates. They share one hash of
  the demo password (hashing costs half a second per user on purpose).
* Customers, their contacts, addresses, external ids, tags and timelines are written in batches
  by ``fast_insert.RowWriter`` (COPY on PostgreSQL) - 3,000 customers (demo) to 1,000,000 (l) -
  then the search index is rebuilt in bulk (``customers.services.customers_reindex``).
* Cases (``case_seeding``): settings (categories, custom fields, an office-hours calendar with
  holidays, a business-hours SLA policy), the seeds' own cases replayed through the cases
  services, queues, then 6,000 (demo) to 1,000,000 (l) generated cases written in bulk with the
  same rows the services write (``case_writer``), macros and shift handover notes.
* One ``workspace.seeded`` audit entry records the run.

The seed refuses a database that already has customers or demo users, and does nothing when the
demo data set is already there.
"""

from __future__ import annotations

import random
import sys
import time
from argparse import ArgumentParser
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from frontline.accounts import services as accounts
from frontline.audit import services as audit
from frontline.audit.models import AuditEntry
from frontline.core.tasks import refresh_planner_statistics
from frontline.customers import services as customers
from frontline.customers.choices import AddressKind, ContactKind
from frontline.customers.models import (
    Address,
    ContactPoint,
    Customer,
    ExternalId,
    Interaction,
    Organisation,
    Tag,
)
from frontline.customers.normalize import clean_contact
from frontline.workspace import demo_cases, demo_data
from frontline.workspace.case_seeding import CaseSeeder
from frontline.workspace.demo_data import DEMO_PASSWORD, CustomerSpec, InteractionSpec, StoryCustomer
from frontline.workspace.fast_insert import Pump, RowWriter
from frontline.workspace.logistics_seeding import seed_logistics

SEEDED_VERB = "workspace.seeded"
BATCH = 2_000
DUPLICATE_SHARE = 0.01  # near-duplicate customers, for the duplicates page
SHOP = "shop"


@contextmanager
def explicit_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let ``created_at`` / ``updated_at`` keep the past dates we give them (they are auto_now
    fields). Only for this generator: rows describe years of history written in seconds."""
    changed = []
    for model in model_classes:
        for field in model._meta.concrete_fields:
            if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
                changed.append((field, field.auto_now, field.auto_now_add))
                field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in changed:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


class Seeder:
    def __init__(
        self,
        *,
        scale: str,
        now: datetime,
        progress: bool,
        total: int | None = None,
        case_scale: int | None = None,
    ) -> None:
        self.scale = scale
        self.total = total if total is not None else demo_data.SCALES[scale]
        self.now = now
        self.progress = progress
        self.rng = random.Random(demo_data.SEED)
        self.users: dict[str, Any] = {}
        self.organisations: list[Organisation] = []
        self.tags: dict[str, Tag] = {}
        self.counts = {
            "customers": 0,
            "contact_points": 0,
            "addresses": 0,
            "interactions": 0,
            "duplicates": 0,
        }
        self._pending: list[tuple[dict[str, Any], CustomerSpec | StoryCustomer, list[InteractionSpec]]] = []
        self._writers: dict[type[models.Model], RowWriter] = {}
        self.customer_ids: list[int] = []
        self.timings: dict[str, float] = {}
        # The generated customers (the twin first), as the case generator sees them.
        self.refs: list[demo_cases.CustomerRef] = []
        self.case_scale = case_scale if case_scale is not None else demo_cases.CASE_SCALES[scale]

    # --- staff --------------------------------------------------------------------------------
    def staff(self) -> None:
        user_model = get_user_model()
        for member in demo_data.STAFF:
            user = accounts.user_create(
                username=member.username,
                email=f"{member.username}@{demo_data.STAFF_EMAIL_DOMAIN}",
                role=member.role,
                first_name=member.first_name,
                last_name=member.last_name,
                approval_limit=member.approval_limit,
                by=None,
            )
            if member.superuser:
                # No service grants superuser status (only createsuperuser does); the demo admin
                # needs it for the admin site.
                user_model.objects.filter(pk=user.pk).update(is_superuser=True, is_staff=True)
            self.users[member.username] = user
        for spec in demo_data.TEAMS:
            team = accounts.team_create(name=spec.name, slug=spec.slug, description=spec.description, by=None)
            accounts.team_add_member(team=team, user=self.users[spec.lead], is_lead=True, by=None)
            for username in spec.members:
                accounts.team_add_member(team=team, user=self.users[username], by=None)

    def passwords(self) -> None:
        """Every demo login gets the demo password. One hash for all of them: a password hash
        costs half a second of CPU on purpose, and this password is printed on the screen anyway."""
        encoded = make_password(DEMO_PASSWORD)
        get_user_model().objects.filter(pk__in=[u.pk for u in self.users.values()]).update(password=encoded)
        for user in self.users.values():
            user.password = encoded

    # --- organisations and tags ---------------------------------------------------------------
    def reference_data(self) -> None:
        extra = max(0, self.total // 150 - len(demo_data.ORGANISATIONS))
        specs = [*demo_data.ORGANISATIONS, *demo_data.generated_organisations(self.rng, extra)]
        when = self.now - timedelta(days=5 * 365)
        self.organisations = Organisation.objects.bulk_create(
            [
                Organisation(name=s.name, domain=s.domain, notes=s.notes, created_at=when, updated_at=when)
                for s in specs
            ],
            batch_size=BATCH,
        )
        names = sorted({*demo_data.TAGS, *(t for s in demo_data.STORY_CUSTOMERS for t in s.tags)})
        Tag.objects.bulk_create([Tag(name=name) for name in names])
        self.tags = {t.name: t for t in Tag.objects.filter(name__in=names)}

    # --- customers ----------------------------------------------------------------------------
    def story_customers(self) -> None:
        by_name = {o.name: o for o in self.organisations}
        for story in demo_data.STORY_CUSTOMERS:
            user = None
            if story.portal_username:
                user = accounts.user_create(
                    username=story.portal_username,
                    email=story.email,
                    role="customer",
                    first_name=story.first_name,
                    last_name=story.last_name,
                    by=None,
                )
                self.users[story.portal_username] = user
            created = self.now - timedelta(days=400 + 37 * len(self._pending))
            organisation = by_name.get(story.organisation)
            customer = {
                "first_name": story.first_name,
                "last_name": story.last_name,
                "organisation_id": organisation.pk if organisation else None,
                "job_title": story.job_title,
                "language": story.language,
                "time_zone": story.time_zone,
                "preferred_channel": story.preferred_channel,
                "marketing_consent": story.marketing_consent,
                "marketing_consent_at": created if story.marketing_consent else None,
                "user_id": user.pk if user else None,
                "created_at": created,
                "updated_at": created,
            }
            entries = [
                InteractionSpec(
                    occurred_at=self.now - timedelta(days=step.days_ago),
                    kind=step.kind,
                    channel=step.channel,
                    direction=step.direction,
                    summary=step.summary,
                    body=step.body,
                    is_internal=step.is_internal,
                    actor=step.actor,
                )
                for step in story.story
            ]
            self._pending.append((customer, story, entries))
        first, last, email = demo_data.JUSTINE_TWIN
        place = demo_data.Place("US", "San Francisco", "CA", "", "America/Los_Angeles", "")
        twin = CustomerSpec(
            first, last, "en", place, email, "+1 415 555 0134", created_at=self.now - timedelta(days=30)
        )
        twin.interactions = [
            InteractionSpec(
                self.now - timedelta(days=30),
                "call",
                "phone",
                "inbound",
                "Called about a shirt order; no account found under her name",
                actor="",
            )
        ]
        self._pending.append((self._customer_row(twin), twin, twin.interactions))
        self.refs.append(self._ref(twin))
        self.counts["duplicates"] += 1
        self._flush()

    def generated_customers(self) -> None:
        agents = tuple(m.username for m in demo_data.STAFF if m.role in ("agent", "lead"))
        generator = demo_data.CustomerGenerator(
            self.rng, now=self.now, agents=agents, organisations=len(self.organisations)
        )
        remaining = self.total - len(self._pending) - self.counts["customers"]
        duplicates = max(1, int(remaining * DUPLICATE_SHARE))
        originals: list[CustomerSpec] = []
        bar = self._bar(remaining)
        for index in range(remaining - duplicates):
            spec = generator.customer()
            if index % 7 == 0 and len(originals) < duplicates:
                originals.append(spec)
            self._pending.append((self._customer_row(spec), spec, spec.interactions))
            self.refs.append(self._ref(spec))
            if len(self._pending) >= BATCH:
                bar.update(self._flush())
        for original in originals[:duplicates]:
            twin = generator.near_duplicate(original)
            self._pending.append((self._customer_row(twin), twin, twin.interactions))
            self.refs.append(self._ref(twin))
            self.counts["duplicates"] += 1
        bar.update(self._flush())
        bar.close()

    @staticmethod
    def _ref(spec: CustomerSpec) -> demo_cases.CustomerRef:
        domain = spec.email.rsplit("@", 1)[-1].lower() if spec.email else ""
        return demo_cases.CustomerRef(spec.first_name, spec.language, spec.place.country, domain)

    def _customer_row(self, spec: CustomerSpec) -> dict[str, Any]:
        org = self.organisations[spec.organisation] if spec.organisation is not None else None
        created = spec.created_at or self.now
        return {
            "first_name": spec.first_name,
            "last_name": spec.last_name,
            "organisation_id": org.pk if org else None,
            "job_title": spec.job_title,
            "language": spec.language,
            "time_zone": spec.place.time_zone,
            "preferred_channel": spec.preferred_channel,
            "marketing_consent": spec.marketing_consent,
            "marketing_consent_at": created if spec.marketing_consent else None,
            "created_at": created,
            "updated_at": created,
        }

    def _flush(self) -> int:
        """Write the pending customers and everything that hangs off them."""
        pending, self._pending = self._pending, []
        if not pending:
            return 0
        writers = self._writers
        through = Customer.tags.through
        contacts = addresses = external_ids = interactions = 0
        for row, spec, entries in pending:
            if entries:
                row["last_interaction_at"] = max(e.occurred_at for e in entries)
            customer_id = writers[Customer].add(**row)
            self.customer_ids.append(customer_id)
            created = row["created_at"]
            for contact in self._contacts(spec, created, organisation=row["organisation_id"] is not None):
                writers[ContactPoint].add(customer_id=customer_id, **contact)
                contacts += 1
            for address in self._addresses(spec, created):
                writers[Address].add(customer_id=customer_id, **address)
                addresses += 1
            external = ""
            if isinstance(spec, CustomerSpec) and spec.external_id:
                external = spec.external_id
            elif isinstance(spec, StoryCustomer):
                external = f"C-{10001 + demo_data.STORY_CUSTOMERS.index(spec)}"
            if external:
                writers[ExternalId].add(customer_id=customer_id, system=SHOP, value=external)
                external_ids += 1
            for tag in spec.tags:
                writers[through].add(customer_id=customer_id, tag_id=self.tags[tag].pk)
            for entry in entries:
                actor = self.users.get(entry.actor) if entry.actor else None
                writers[Interaction].add(
                    customer_id=customer_id,
                    occurred_at=entry.occurred_at,
                    kind=entry.kind,
                    channel=entry.channel,
                    direction=entry.direction,
                    is_internal=entry.is_internal,
                    actor_id=actor.pk if actor else None,
                    actor_label=actor.username if actor else "",
                    summary=entry.summary,
                    body=entry.body,
                    data=entry.data,
                    created_at=entry.occurred_at,
                )
                interactions += 1
        self.counts["customers"] += len(pending)
        self.counts["contact_points"] += contacts
        self.counts["addresses"] += addresses
        self.counts["interactions"] += interactions
        return len(pending)

    def _contacts(
        self, spec: CustomerSpec | StoryCustomer, when: datetime, *, organisation: bool
    ) -> list[dict[str, Any]]:
        values: list[tuple[str, str, str]] = []
        if spec.email:
            values.append((ContactKind.EMAIL, spec.email, ""))
        if spec.phone:
            values.append((ContactKind.PHONE, spec.phone, ""))
        if isinstance(spec, CustomerSpec):
            if spec.extra_email:
                values.append((ContactKind.EMAIL, spec.extra_email, ""))
            if spec.social:
                values.append((ContactKind.SOCIAL, spec.social[1], spec.social[0]))
        rows, primaries = [], set()
        for kind, raw, platform in values:
            value, normalized = clean_contact(kind, raw, platform)
            rows.append(
                {
                    "kind": kind,
                    "value": value,
                    "normalized": normalized,
                    "platform": platform,
                    "label": "work" if organisation else "",
                    "is_primary": kind not in primaries,
                    "created_at": when,
                    "updated_at": when,
                }
            )
            primaries.add(kind)
        return rows

    def _addresses(self, spec: CustomerSpec | StoryCustomer, when: datetime) -> list[dict[str, Any]]:
        if isinstance(spec, StoryCustomer):
            line1, postal, city, region, country, billing = (
                spec.line1,
                spec.postal_code,
                spec.city,
                spec.region,
                spec.country,
                False,
            )
        else:
            if not spec.line1:
                return []
            place = spec.place
            line1, postal, city, region, country, billing = (
                spec.line1,
                spec.postal_code,
                place.city,
                place.region,
                place.country,
                spec.billing,
            )
        kinds = [AddressKind.SHIPPING, AddressKind.BILLING] if billing else [AddressKind.SHIPPING]
        return [
            {
                "kind": kind,
                "line1": line1,
                "city": city,
                "region": region,
                "postal_code": postal,
                "country": country,
                "is_primary": True,
                "created_at": when,
                "updated_at": when,
            }
            for kind in kinds
        ]

    def _bar(self, total: int) -> Any:
        from tqdm import tqdm

        return tqdm(
            total=total,
            desc=f"Seeding {self.scale}",
            unit="customer",
            file=sys.stderr,
            leave=False,
            disable=not self.progress,
        )

    # --- all of it ----------------------------------------------------------------------------
    def run(self) -> dict[str, int]:
        started = time.monotonic()
        with transaction.atomic():
            self.staff()
            self.timings["staff"] = time.monotonic() - started
            with explicit_timestamps(Customer, ContactPoint, Address, Organisation, Interaction):
                self.reference_data()
                through = Customer.tags.through
                pump = Pump()
                try:
                    self._writers = {
                        m: RowWriter(m, pump=pump)
                        for m in (Customer, ContactPoint, Address, ExternalId, through, Interaction)
                    }
                    self.story_customers()
                    pump.drain()
                    self.passwords()
                    self.generated_customers()
                    for writer in self._writers.values():
                        writer.close()
                finally:
                    pump.close()
                self._writers = {}
            self.timings["customers"] = time.monotonic() - started - self.timings["staff"]
            phase = time.monotonic()
            indexed = customers.customers_reindex()
            self.timings["customer_index"] = time.monotonic() - phase
            phase = time.monotonic()
            case_seeder = CaseSeeder(
                now=self.now,
                rng=self.rng,
                users=self.users,
                customer_ids=self.customer_ids,
                refs=self.refs,
                cases=self.case_scale,
                days=demo_cases.CASE_DAYS[self.scale],
                progress=self.progress,
            )
            self.counts.update(case_seeder.run())
            self.timings.update(case_seeder.timings)
            self.timings["cases"] = time.monotonic() - phase
            logistics, timings = seed_logistics(scale=self.scale, customer_ids=self.customer_ids)
            self.counts.update(logistics)
            self.timings.update(timings)
            self.counts.update(
                staff=len(demo_data.STAFF),
                portal_users=sum(1 for s in demo_data.STORY_CUSTOMERS if s.portal_username),
                teams=len(demo_data.TEAMS),
                organisations=len(self.organisations),
                indexed=indexed,
            )
            audit.record(
                actor=None,
                verb=SEEDED_VERB,
                data={
                    "scale": self.scale,
                    "seed": demo_data.SEED,
                    **self.counts,
                    "seconds": round(time.monotonic() - started, 1),
                },
            )
        return self.counts


class Command(BaseCommand):
    help = (
        "Fill an empty database with the deterministic demo data set: one user per role (password "
        f"{DEMO_PASSWORD!r}), teams with queues, organisations, multilingual customers with their "
        "timelines, and cases with their threads, SLA clocks, macros and handover notes. Scales: "
        + ", ".join(
            f"{k} = {v:,} customers and {demo_cases.CASE_SCALES[k]:,} cases"
            for k, v in demo_data.SCALES.items()
        )
        + "."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--scale",
            choices=list(demo_data.SCALES),
            default="demo",
            help="How many customers (default: demo).",
        )
        parser.add_argument(
            "--customers",
            type=int,
            default=None,
            metavar="N",
            help="Create N customers instead of the scale's number (at least 20; for tests and quick looks).",
        )
        parser.add_argument(
            "--cases",
            type=int,
            default=None,
            metavar="N",
            help="Create N cases instead of the scale's number (the seeds' own cases always come first).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")

    def handle(self, *args: Any, scale: str = "demo", **options: Any) -> None:
        done = AuditEntry.objects.filter(verb=SEEDED_VERB).order_by("-created_at").first()
        if done is not None:
            self.stdout.write(
                f"The demo data set is already loaded (scale {done.data.get('scale')}, "
                f"{done.data.get('customers', 0):,} customers, on {done.created_at:%Y-%m-%d %H:%M}); nothing to do."
            )
            return
        usernames = [m.username for m in demo_data.STAFF] + [
            s.portal_username for s in demo_data.STORY_CUSTOMERS if s.portal_username
        ]
        taken = sorted(
            get_user_model().objects.filter(username__in=usernames).values_list("username", flat=True)
        )
        existing = Customer.objects.count()
        if taken or existing:
            found = []
            if existing:
                found.append(f"{existing:,} customers")
            if taken:
                found.append(f"users {', '.join(taken)}")
            raise CommandError(
                f"This database already has data ({'; '.join(found)}). The seed only fills an empty "
                "database: point DATABASE_URL at a new one (or delete the SQLite file) and run "
                "'frontline migrate' then 'frontline seed' again.",
                returncode=1,
            )
        total = options.get("customers")
        if total is not None and total < 20:
            raise CommandError("--customers must be at least 20 (the seeds' own customers come first).")
        stream = getattr(self.stderr, "_out", sys.stderr)
        progress = not options.get("no_progress") and hasattr(stream, "isatty") and stream.isatty()
        started = time.monotonic()
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        cases = options.get("cases")
        if cases is not None and cases < 0:
            raise CommandError("--cases cannot be negative.")
        seeder = Seeder(scale=scale, now=now, progress=progress, total=total, case_scale=cases)
        counts = seeder.run()
        phase = time.monotonic()
        refresh_planner_statistics()
        if connection.vendor == "postgresql":
            # Millions of fresh rows: give the planner its statistics and the tables their
            # visibility maps (index-only scans) now, rather than whenever autovacuum gets to
            # them, if it runs at all.
            # VACUUM cannot run inside a transaction (a caller's atomic block, a test): there,
            # the statistics alone.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
        seeder.timings["analyze"] = time.monotonic() - phase
        if options.get("verbosity", 1) >= 2:
            self.stdout.write(
                "Phases: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in seeder.timings.items())
            )
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(f"Seeded scale {scale} in {seconds:.1f} s: ")
            + f"{counts['staff']} staff users, {counts['portal_users']} portal customers, {counts['teams']} teams, "
            f"{counts['organisations']:,} organisations, {counts['customers']:,} customers "
            f"({counts['duplicates']} near-duplicates), {counts['contact_points']:,} contact points, "
            f"{counts['addresses']:,} addresses, {counts['interactions']:,} interactions; "
            f"{counts['cases']:,} cases ({counts['story_cases']} from the seeds' stories) with "
            f"{counts['case_messages']:,} messages and {counts['sla_clocks']:,} SLA clocks; "
            f"{counts['products']:,} products, {counts['orders']:,} orders, {counts['shipments']:,} shipments."
        )
