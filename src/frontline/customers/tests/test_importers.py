"""``frontline import customers``: given a file, when imported, then exactly these customers exist.

Fixtures are files we wrote: ``fixtures/customers_good.csv`` (10 valid rows in 7 languages) and
``fixtures/customers_bad.csv`` (11 rows: 2 valid, 9 invalid in 9 different ways). The XLSX file is
generated from the good CSV in each test.
"""

from __future__ import annotations

import csv
import importlib
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from openpyxl import Workbook

from frontline.accounts.models import User
from frontline.audit.models import AuditEntry
from frontline.core import importing, search
from frontline.customers import services
from frontline.customers.choices import ContactKind, CustomerStatus
from frontline.customers.models import Address, ContactPoint, Customer, ExternalId, Organisation
from frontline.customers.services import AddressInput, ContactInput, CustomerInput

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
GOOD = FIXTURES / "customers_good.csv"
BAD = FIXTURES / "customers_bad.csv"

BAD_ROWS = [
    "     3  email              'tom.baker@example' is not a valid email address",
    "     4  phone              'call me maybe' is not a phone number (6 to 15 digits, optionally starting with +)",
    "     5  preferred_channel  'fax' is not one of email, phone, sms, chat, portal",
    "     6  marketing_consent  'perhaps' is not true/false, yes/no or 1/0",
    "     7  country            'XX' is not a two-letter ISO country code such as DE, US or FR",
    "     8  (row)              has no name, email or phone: a customer needs at least one of them",
    "     9  email              same email as line 2 (lena.fischer@postfach.example)",
    "    10  external_system    is required when external_id is given",
    "    11  city               is required when an address is given",
]


def run(*args: str, **options) -> str:
    out = StringIO()
    call_command("import", *args, stdout=out, stderr=StringIO(), no_color=True, **options)
    return out.getvalue()


def run_failing(*args: str, **options) -> tuple[str, CommandError]:
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import", *args, stdout=out, stderr=StringIO(), no_color=True, **options)
    return out.getvalue(), exc.value


def write_csv(tmp_path: Path, rows: list[dict[str, str]], name: str = "changes.csv") -> Path:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def xlsx_from(source: Path, target: Path) -> Path:
    book = Workbook()
    sheet = book.active
    with source.open(encoding="utf-8") as handle:
        for record in csv.reader(handle):
            sheet.append(record)
    book.save(target)
    return target


class TestGoodFile:
    def test_creates_every_row_with_contacts_address_tags_and_external_id(self):
        # when
        output = run("customers", str(GOOD))

        # then
        assert (
            output.splitlines()[0]
            == "Imported customers from customers_good.csv: 10 created, 0 updated, 0 unchanged."
        )
        assert Customer.objects.count() == 10
        justine = Customer.objects.get(last_name="Harrington")
        assert (
            justine.first_name,
            justine.language,
            justine.preferred_channel,
            justine.marketing_consent,
        ) == (
            "Justine",
            "en",
            "email",
            True,
        )
        assert {(p.kind, p.value, p.normalized, p.is_primary) for p in justine.contact_points.all()} == {
            ("email", "justine.harrington@example.com", "justine.harrington@example.com", True),
            ("phone", "+1 415 555 0134", "+14155550134", True),
        }
        assert sorted(justine.tags.values_list("name", flat=True)) == ["apparel", "vip"]
        assert list(justine.external_ids.values_list("system", "value")) == [("shop", "C-10001")]
        address = justine.addresses.get()
        assert (
            address.line1,
            address.line2,
            address.city,
            address.region,
            address.postal_code,
            address.country,
        ) == (
            "1200 Market Street",
            "Apt 5",
            "San Francisco",
            "CA",
            "94102",
            "US",
        )
        juergen = Customer.objects.get(last_name="Weiß")
        assert juergen.organisation.name == "SparePartsPro GmbH"
        assert sorted(juergen.tags.values_list("name", flat=True)) == ["b2b", "spare-parts"]
        assert Customer.objects.get(first_name="محمد").last_name == "العلي"
        orders = Customer.objects.get(contact_points__value="orders@brightgadgets.example")
        assert (orders.full_name, orders.organisation.name, orders.language) == (
            "",
            "Bright Gadgets Ltd",
            "en-gb",
        )

    def test_writes_audit_entries_and_the_search_index(self):
        sara = User.objects.create(username="sara", role="lead")

        run("customers", str(GOOD), actor="sara")

        assert AuditEntry.objects.filter(verb="customer.created", actor=sara).count() == 10
        summary = AuditEntry.objects.get(verb="customer.imported")
        assert summary.actor == sara
        assert {
            k: summary.data[k] for k in ("source", "rows_read", "invalid", "created", "updated", "unchanged")
        } == {
            "source": "customers_good.csv",
            "rows_read": 10,
            "invalid": 0,
            "created": 10,
            "updated": 0,
            "unchanged": 0,
        }
        justine = Customer.objects.get(last_name="Harrington")
        assert search.search_ids("customer", "justine harr") == [justine.pk]
        assert search.search_ids("customer", "C-10001") == [justine.pk]
        assert search.search_ids("customer", "5550134") == [justine.pk]

    def test_dry_run_reports_what_would_be_created_and_writes_nothing(self):
        output = run("customers", str(GOOD), dry_run=True)

        lines = output.splitlines()
        assert lines[0] == "Dry run of the customers import from customers_good.csv: nothing was written."
        assert "  would be created        10" in lines
        assert Customer.objects.count() == 0
        assert Organisation.objects.count() == 0
        assert AuditEntry.objects.count() == 0

    def test_xlsx_file_imports_the_same_customers(self, tmp_path):
        path = xlsx_from(GOOD, tmp_path / "customers.xlsx")

        output = run("customers", str(path))

        assert (
            output.splitlines()[0]
            == "Imported customers from customers.xlsx: 10 created, 0 updated, 0 unchanged."
        )
        assert (
            Customer.objects.get(first_name="Ayşe").contact_points.get(kind="phone").normalized
            == "+905321234567"
        )
        assert ExternalId.objects.count() == 5


class TestBadFile:
    def test_writes_nothing_exits_1_and_reports_every_bad_row(self):
        output, error = run_failing("customers", str(BAD))

        assert error.returncode == 1
        assert str(error) == "9 invalid row(s) in customers_bad.csv; nothing was written."
        lines = output.splitlines()
        assert lines[0] == (
            "Nothing was imported: 9 of 11 rows of customers_bad.csv are invalid. "
            "Fix them, or pass --skip-invalid to import the 2 valid rows."
        )
        assert lines[-len(BAD_ROWS) :] == BAD_ROWS
        assert Customer.objects.count() == 0
        assert ContactPoint.objects.count() == 0
        assert AuditEntry.objects.count() == 0

    def test_skip_invalid_writes_the_valid_rows_and_reports_the_rest(self):
        output = run("customers", str(BAD), skip_invalid=True)

        lines = output.splitlines()
        assert (
            lines[0]
            == "Imported customers from customers_bad.csv: 2 created, 0 updated, 0 unchanged. Skipped 9 invalid rows."
        )
        assert lines[-len(BAD_ROWS) :] == BAD_ROWS
        assert sorted(Customer.objects.values_list("first_name", "last_name")) == [
            ("Carlos", "Mendes"),
            ("Lena", "Fischer"),
        ]
        assert AuditEntry.objects.get(verb="customer.imported").data["invalid"] == 9

    def test_skip_invalid_with_no_valid_row_exits_1(self, tmp_path):
        path = write_csv(tmp_path, [{"email": "nope", "phone": ""}, {"email": "", "phone": "x"}])

        output, error = run_failing("customers", str(path), skip_invalid=True)

        assert str(error) == "No valid row in changes.csv; nothing was written."
        assert error.returncode == 1
        assert output.splitlines()[-2:] == [
            "     2  email   'nope' is not a valid email address",
            "     3  phone   'x' is not a phone number (6 to 15 digits, optionally starting with +)",
        ]
        assert AuditEntry.objects.count() == 0

    def test_dry_run_with_invalid_rows_exits_1(self):
        _output, error = run_failing("customers", str(BAD), dry_run=True, skip_invalid=True)

        assert error.returncode == 1
        assert Customer.objects.count() == 0


class TestUpsert:
    def test_importing_the_same_file_twice_changes_nothing(self):
        run("customers", str(GOOD))

        output = run("customers", str(GOOD))

        assert (
            output.splitlines()[0]
            == "Imported customers from customers_good.csv: 0 created, 0 updated, 10 unchanged."
        )
        assert Customer.objects.count() == 10
        assert AuditEntry.objects.filter(verb="customer.updated").count() == 0

    def test_a_row_matching_an_email_updates_that_customer(self, tmp_path):
        run("customers", str(GOOD))
        justine = Customer.objects.get(last_name="Harrington")
        path = write_csv(
            tmp_path,
            [
                {
                    "first_name": "Justine",
                    "last_name": "Harrington",
                    "email": "JUSTINE.HARRINGTON@example.com",
                    "phone": "+1 415 555 0199",
                    "job_title": "Buyer",
                    "tags": "vip|returns",
                    "marketing_consent": "",
                }
            ],
        )

        output = run("customers", str(path))

        assert (
            output.splitlines()[0]
            == "Imported customers from changes.csv: 0 created, 1 updated, 0 unchanged."
        )
        justine.refresh_from_db()
        assert justine.job_title == "Buyer"
        assert justine.marketing_consent is True  # an empty cell changes nothing
        assert sorted(justine.tags.values_list("name", flat=True)) == ["apparel", "returns", "vip"]
        assert sorted(
            justine.contact_points.filter(kind="phone").values_list("normalized", "is_primary")
        ) == [
            ("+14155550134", True),
            ("+14155550199", False),
        ]
        assert Customer.objects.count() == 10
        update = AuditEntry.objects.get(verb="customer.updated")
        assert update.data["changes"]["job_title"] == ["", "Buyer"]

    def test_a_row_matching_an_external_id_updates_that_customer_even_with_a_new_email(self, tmp_path):
        run("customers", str(GOOD))
        isabel = Customer.objects.get(last_name="García López")
        path = write_csv(
            tmp_path,
            [
                {
                    "first_name": "Isabel",
                    "last_name": "García López",
                    "email": "isabel@nuevo.example",
                    "external_system": "SHOP",
                    "external_id": "C-50002",
                    "preferred_channel": "email",
                }
            ],
        )

        run("customers", str(path))

        isabel.refresh_from_db()
        assert isabel.preferred_channel == "email"
        assert sorted(isabel.contact_points.filter(kind="email").values_list("normalized", "is_primary")) == [
            ("isabel.garcia@correo.example", True),
            ("isabel@nuevo.example", False),
        ]
        assert Customer.objects.count() == 10

    def test_an_external_id_on_a_merged_customer_leads_to_the_survivor(self, tmp_path):
        run("customers", str(GOOD))
        survivor = services.customer_create(
            by=None, data=CustomerInput(first_name="Justine", last_name="Harrington")
        )
        merged = Customer.objects.get(external_ids__value="C-10001")
        services.customer_merge(survivor_id=survivor.pk, merged_id=merged.pk, by=None)
        path = write_csv(
            tmp_path,
            [
                {
                    "last_name": "Harrington",
                    "external_system": "shop",
                    "external_id": "C-10001",
                    "job_title": "Designer",
                }
            ],
        )

        run("customers", str(path))

        survivor.refresh_from_db()
        assert survivor.job_title == "Designer"
        assert Customer.objects.get(pk=merged.pk).job_title == ""

    def test_a_phone_only_row_matches_the_customer_with_that_phone_and_name(self, tmp_path):
        run("customers", str(GOOD))
        path = write_csv(
            tmp_path,
            [
                {
                    "first_name": "Todd",
                    "last_name": "Haney",
                    "phone": "+1 (212) 555-0199",
                    "job_title": "Regional manager",
                },
                {"first_name": "Tina", "last_name": "Haney", "phone": "+1 212 555 0199", "job_title": ""},
            ],
        )

        output = run("customers", str(path))

        assert (
            output.splitlines()[0]
            == "Imported customers from changes.csv: 1 created, 1 updated, 0 unchanged."
        )
        assert Customer.objects.get(first_name="Todd").job_title == "Regional manager"

    def test_an_email_whose_customer_has_another_id_in_that_system_is_a_row_error(self, tmp_path):
        run("customers", str(GOOD))
        path = write_csv(
            tmp_path,
            [{"email": "isabel.garcia@correo.example", "external_system": "shop", "external_id": "C-99999"}],
        )

        output, _error = run_failing("customers", str(path))

        customer_id = Customer.objects.get(last_name="García López").pk
        assert output.splitlines()[-1] == (
            f"     2  external_id  the email isabel.garcia@correo.example belongs to customer #{customer_id}, "
            "whose shop id is C-50002, not C-99999"
        )
        assert not ExternalId.objects.filter(value="C-99999").exists()

    def test_a_row_with_only_an_unknown_external_id_cannot_create_a_customer(self, tmp_path):
        path = write_csv(tmp_path, [{"last_name": "", "external_system": "shop", "external_id": "C-1"}])

        output, _error = run_failing("customers", str(path))

        assert output.splitlines()[-1] == (
            "     2  (row)   has no name, email or phone: a customer needs at least one of them "
            "(the external id matches no customer)"
        )

    def test_two_rows_updating_the_same_customer_are_refused(self, tmp_path):
        run("customers", str(GOOD))
        justine = Customer.objects.get(last_name="Harrington")
        path = write_csv(
            tmp_path,
            [
                {
                    "email": "justine.harrington@example.com",
                    "external_system": "",
                    "external_id": "",
                    "job_title": "A",
                },
                {"email": "", "external_system": "shop", "external_id": "C-10001", "job_title": "B"},
            ],
        )

        output, _error = run_failing("customers", str(path))

        assert (
            output.splitlines()[-1] == f"     3  (row)   updates the same customer (#{justine.pk}) as line 2"
        )
        justine.refresh_from_db()
        assert justine.job_title == ""


class TestCommand:
    def test_help_lists_the_registered_kinds_and_columns(self):
        command = importlib.import_module("frontline.core.management.commands.import").Command()

        text = command.create_parser("frontline", "import").format_help()

        assert "  customers    Customers (people): created, or updated when" in text
        assert "columns: first_name, last_name, email, phone, organisation, job_title" in text

    def test_unknown_kind_missing_file_and_unsupported_extension(self, tmp_path):
        _out, unknown = run_failing("parrots", str(GOOD))
        _out, missing = run_failing("customers", str(tmp_path / "nope.csv"))
        (tmp_path / "old.xls").write_bytes(b"")
        _out, old = run_failing("customers", str(tmp_path / "old.xls"))

        message = str(unknown)
        assert message.startswith("Unknown import kind 'parrots'; choose one of: ")
        assert "customers" in message.removeprefix("Unknown import kind 'parrots'; choose one of: ").split(
            ", "
        )
        assert str(missing) == f"{tmp_path / 'nope.csv'}: no such file."
        assert missing.returncode == 1
        assert str(old).startswith("old.xls: unsupported file type .xls; use one of .csv, .tsv, .xlsx.")

    def test_unknown_or_missing_columns_stop_before_any_row(self, tmp_path):
        path = write_csv(tmp_path, [{"name": "Anna", "e-mail": "anna@example.com"}])

        _out, error = run_failing("customers", str(path))

        assert str(error).startswith(
            "changes.csv: Unknown column name (did you mean last_name?). Unknown column e_mail (did you mean email?). "
            "Name the customers or give their contacts: first_name, last_name, email or phone."
        )
        assert error.returncode == 1

    def test_as_needs_an_existing_user_allowed_to_import(self):
        User.objects.create(username="elias", role="reporter")

        _out, unknown = run_failing("customers", str(GOOD), actor="nobody")
        _out, refused = run_failing("customers", str(GOOD), actor="elias")

        assert str(unknown) == "No user named 'nobody' (--as)."
        assert str(refused) == "elias may not import customers (needs customers.import_customer)."
        assert Customer.objects.count() == 0


class TestCreateMany:
    """``services.customer_create_many``: the rules of ``customer_create`` in bulk."""

    def test_same_result_as_customer_create(self):
        data = CustomerInput(
            first_name="Justine",
            last_name="Harrington",
            organisation_name="Acme Retail",
            tags=["VIP", " vip ", "returns"],
            contacts=[
                ContactInput(kind=ContactKind.EMAIL, value="j@example.com"),
                ContactInput(kind=ContactKind.EMAIL, value="J2@example.com", is_primary=True),
                ContactInput(kind=ContactKind.PHONE, value="+1 (555) 123-4567"),
            ],
            addresses=[AddressInput(line1="1 Main St", city="Boston", country="us")],
            external_ids={"Shop": "C-1001"},
        )
        Organisation.objects.create(name="ACME retail")

        [customer] = services.customer_create_many(by=None, items=[data])

        assert customer.organisation.name == "ACME retail"
        assert sorted(customer.contact_points.values_list("kind", "normalized", "is_primary")) == [
            ("email", "j2@example.com", True),
            ("email", "j@example.com", False),
            ("phone", "+15551234567", True),
        ]
        assert list(Address.objects.values_list("country", "is_primary")) == [("US", True)]
        assert list(customer.external_ids.values_list("system", "value")) == [("shop", "C-1001")]
        assert sorted(customer.tags.values_list("name", flat=True)) == ["returns", "vip"]
        entry = AuditEntry.objects.get(verb="customer.created")
        assert entry.data["tags"] == ["returns", "vip"]
        assert search.search_ids("customer", "harrington") == [customer.pk]

    def test_an_invalid_item_names_its_index_and_nothing_is_written(self):
        ok = CustomerInput(first_name="Anna")
        ExternalId.objects.create(
            customer=services.customer_create(by=None, data=CustomerInput(first_name="Old")),
            system="shop",
            value="1",
        )

        with pytest.raises(services.BulkItemError) as exc:
            services.customer_create_many(
                by=None, items=[ok, CustomerInput(last_name="B", external_ids={"shop": "1"})]
            )

        assert (exc.value.index, exc.value.field) == (1, "external_ids")
        assert list(Customer.objects.values_list("first_name", flat=True)) == ["Old"]
        with pytest.raises(services.BulkItemError) as exc:
            services.customer_create_many(by=None, items=[ok, ok, CustomerInput()])
        assert (exc.value.index, exc.value.message) == (2, "A customer needs a name or at least one contact.")
        assert Customer.objects.filter(status=CustomerStatus.ACTIVE).count() == 1


class TestBulkReindex:
    def test_reindex_deferred_indexes_once_at_the_end_of_the_block(self):
        with services.reindex_deferred() as pending:
            anna = services.customer_create(by=None, data=CustomerInput(first_name="Anna", last_name="Quist"))
            assert search.search_ids("customer", "quist") == []
            assert pending == {anna.pk}

        assert search.search_ids("customer", "quist") == [anna.pk]

    def test_reindex_deferred_writes_nothing_when_the_block_fails(self):
        with pytest.raises(RuntimeError), transaction.atomic(), services.reindex_deferred():
            services.customer_create(by=None, data=CustomerInput(first_name="Anna", last_name="Quist"))
            raise RuntimeError

        assert search.search_ids("customer", "quist") == []
        assert Customer.objects.count() == 0

    def test_customers_reindex_in_batches_drops_merged_customers(self):
        people = [
            services.customer_create(by=None, data=CustomerInput(first_name="Bo", last_name=f"Lund{i}"))
            for i in range(5)
        ]
        services.customer_merge(survivor_id=people[0].pk, merged_id=people[1].pk, by=None)
        search.index_document("customer", people[1].pk, ["stale lund1"])

        written = services.customers_reindex(customer_ids=[p.pk for p in people], batch_size=2)

        assert written == 4
        assert search.search_ids("customer", "stale") == []
        assert sorted(search.search_ids("customer", "bo")) == sorted(p.pk for p in people if p != people[1])


def test_progress_bar_is_off_when_stderr_is_not_a_terminal():
    factory = importing.tqdm_progress(StringIO())
    with factory(10, "x") as advance:
        advance(5)
    assert advance is importing.no_progress
