"""Importing rows from CSV and XLSX files: one framework, one importer per kind of record.

Apps register an :class:`Importer` for their kind in ``AppConfig.ready()``::

    register_importer("customers", CustomerImporter())

and ``frontline import KIND FILE`` (or the UI / API later) calls :func:`run_import`, which

1. reads the file into :class:`Row` objects that remember their line number (CSV in UTF-8, with
   or without a byte-order mark, delimiter ``,`` ``;`` or tab; XLSX: the first sheet, header in
   the first non-empty row);
2. checks the header before any row: unknown columns and missing required ones stop the import;
3. validates **every** row (``Importer.validate``) and collects one :class:`RowError` per bad
   cell - line, column, reason - including keys repeated within the file;
4. writes nothing when a row is bad, unless ``skip_invalid``; writes nothing either with
   ``dry_run``, which reports what would be created and updated;
5. otherwise calls ``Importer.apply`` inside one transaction: all rows or none.

This module imports no app: importers live in their app and call their app's services.
"""

from __future__ import annotations

import csv
import difflib
import io
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dt_time
from pathlib import Path
from typing import IO, Any, ClassVar

from django.conf import settings
from django.db import transaction

from .errors import DomainError

SUPPORTED_EXTENSIONS = (".csv", ".tsv", ".xlsx")
DELIMITERS = (",", ";", "\t")

CREATE = "create"
UPDATE = "update"
UNCHANGED = "unchanged"

#: Advance a progress display by ``n`` rows.
Progress = Callable[[int], None]


def no_progress(n: int) -> None:
    """The progress callback that shows nothing."""


# --- rows, errors, items ----------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One data row of the file: its line number (1 = the first line) and its cells by column."""

    line: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        return (self.values.get(column) or "").strip()


@dataclass(frozen=True, order=True)
class RowError:
    """Why the row on ``line`` cannot be imported; ``column`` is the column at fault ("" = the row)."""

    line: int
    column: str
    reason: str


class ImportFileError(DomainError):
    """The file as a whole cannot be imported (format, encoding, header, size). Nothing was read."""

    code = "import_file"


class ApplyError(Exception):
    """Raised by ``Importer.apply`` when a row fails while writing; the whole import rolls back."""

    def __init__(self, error: RowError) -> None:
        super().__init__(f"line {error.line}, {error.column}: {error.reason}")
        self.error = error


@dataclass
class ImportItem:
    """A valid row, ready to write. Importers subclass it with their fields.

    ``action`` is what writing it will do - ``create``, ``update`` or ``unchanged`` - decided by
    ``Importer.validate`` so that a dry run can report it without writing.
    """

    line: int
    action: str = CREATE


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    help: str = ""


@dataclass
class ApplySummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


# --- reading files ----------------------------------------------------------------------------


@dataclass
class Table:
    """What was read from a file: normalised header names and the non-empty data rows.

    ``errors`` are rows that could not be split into the header's columns.
    """

    source: str
    headers: list[str]
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return len(self.rows) + len({e.line for e in self.errors})


def normalise_header(name: str) -> str:
    """``" E-Mail Address "`` -> ``"e_mail_address"``: what column names are compared as."""
    return "_".join(name.replace("\ufeff", "").strip().lower().replace("-", " ").split())


def _max_rows() -> int:
    return int(getattr(settings, "IMPORT_MAX_ROWS", 200_000))


def read_table(path: str | Path, *, max_rows: int | None = None) -> Table:
    """Read a CSV or XLSX file (chosen by extension) into a :class:`Table`."""
    path = Path(path)
    limit = _max_rows() if max_rows is None else max_rows
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        hint = (
            " Save it as .xlsx (Excel 2007 or later) or as CSV UTF-8." if suffix in {".xls", ".ods"} else ""
        )
        raise ImportFileError(
            f"{path.name}: unsupported file type {suffix or '(none)'}; use one of "
            f"{', '.join(SUPPORTED_EXTENSIONS)}.{hint}"
        )
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file.")
    if suffix == ".xlsx":
        return _read_xlsx(path, limit)
    return _read_csv(path, limit)


def sniff_delimiter(first_line: str) -> str:
    """The delimiter among ``,`` ``;`` tab that splits the header line into the most columns."""
    counts = {d: 0 for d in DELIMITERS}
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties: the order of DELIMITERS
    return best if counts[best] else ","


def _read_csv(path: Path, limit: int) -> Table:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"{path.name} is not UTF-8 text (the first bad byte is on line {line}). "
            "Save it as 'CSV UTF-8' and try again."
        ) from None
    if "\x00" in text:
        raise ImportFileError(f"{path.name} contains NUL bytes; it is not a CSV text file.")
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first), strict=False)
    records = _csv_records(reader, path.name)
    return _table(path.name, records, limit)


def _csv_records(reader: Any, name: str) -> Iterator[tuple[int, list[str]]]:
    last = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFileError(f"{name}, line {reader.line_num}: cannot read the CSV ({exc}).") from None
        yield last + 1, record
        last = reader.line_num


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == dt_time(0) else value.isoformat(sep=" ")
    if isinstance(value, date | dt_time):
        return value.isoformat()
    return str(value)


def _read_xlsx(path: Path, limit: int) -> Table:
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(f"{path.name} is not a readable .xlsx workbook ({exc}).") from None
    try:
        if not workbook.worksheets:
            raise ImportFileError(f"{path.name} has no worksheet.")
        sheet = workbook.worksheets[0]
        records = (
            (number, [_cell_text(v) for v in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        )
        return _table(path.name, records, limit)
    finally:
        workbook.close()


def _table(source: str, records: Iterable[tuple[int, list[str]]], limit: int) -> Table:
    records = iter(records)
    header_cells: list[str] | None = None
    for _line, cells in records:
        if any(c.strip() for c in cells):
            header_cells = cells
            break
    if header_cells is None:
        raise ImportFileError(f"{source} is empty: the first line must name the columns.")
    headers = [normalise_header(c) for c in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    seen: set[str] = set()
    for position, name in enumerate(headers, start=1):
        if not name:
            raise ImportFileError(f"{source}: column {position} of the header has no name.")
        if name in seen:
            raise ImportFileError(f"{source}: the column {name} appears twice in the header.")
        seen.add(name)
    table = Table(source=source, headers=headers)
    width = len(headers)
    data_rows = 0
    for line, cells in records:
        if not any(c.strip() for c in cells):
            continue
        data_rows += 1
        if data_rows > limit:
            raise ImportFileError(
                f"{source} has more than {limit:,} rows, the most one import takes "
                "(setting IMPORT_MAX_ROWS). Split the file and import the parts."
            )
        extra = [c for c in cells[width:] if c.strip()]
        if extra:
            table.errors.append(
                RowError(
                    line,
                    "",
                    f"has {width + len(cells[width:])} values but the header has {width} columns "
                    "(an unquoted delimiter inside a value?)",
                )
            )
            continue
        values = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(headers)}
        table.rows.append(Row(line=line, values=values))
    return table


# --- importers and their registry -------------------------------------------------------------


class Importer:
    """Turns rows into records of one kind. Subclass, declare ``columns``, implement
    ``clean_row`` and ``apply``; override ``item_keys`` and ``resolve`` as needed.

    ``validate`` is the template every import runs: clean each row, reject keys repeated in the
    file, then ``resolve`` the survivors against the database in bulk (match existing records,
    decide create / update / unchanged).
    """

    kind: ClassVar[str] = ""
    description: ClassVar[str] = ""
    columns: ClassVar[tuple[Column, ...]] = ()
    #: Django permission the acting user (``--as``) needs; "" = none.
    permission: ClassVar[str] = ""

    # header ------------------------------------------------------------------------------
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def check_columns(self, headers: Sequence[str]) -> list[str]:
        """Problems with the header, as sentences; empty when the import may go on."""
        known = self.column_names()
        problems = []
        unknown = [h for h in headers if h not in known]
        for name in unknown:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(f"Unknown column {name}{hint}.")
        missing = [c.name for c in self.columns if c.required and c.name not in headers]
        if missing:
            problems.append(f"Missing required column(s): {', '.join(missing)}.")
        return problems

    # rows --------------------------------------------------------------------------------
    def clean_row(self, row: Row) -> ImportItem | list[RowError]:
        """Check one row on its own (no database): a valid item, or the errors found in it."""
        raise NotImplementedError

    def item_keys(self, item: ImportItem) -> Iterable[tuple[str, str]]:
        """``(column, key)`` pairs that must be unique within the file (e.g. the email)."""
        return ()

    def resolve(self, items: list[ImportItem]) -> tuple[list[ImportItem], list[RowError]]:
        """Match items against existing records in bulk and set each item's ``action``."""
        return items, []

    def validate(self, rows: Sequence[Row]) -> tuple[list[ImportItem], list[RowError]]:
        items: list[ImportItem] = []
        errors: list[RowError] = []
        for row in rows:
            result = self.clean_row(row)
            if isinstance(result, list):
                errors.extend(result)
            else:
                items.append(result)
        items, duplicates = reject_duplicates(items, self.item_keys)
        errors.extend(duplicates)
        items, unresolved = self.resolve(items)
        errors.extend(unresolved)
        return items, sorted(errors)

    def review(self, items: Sequence[ImportItem], *, source: str) -> list[str]:
        """Paragraphs the report shows before anything is written (e.g. the stock import's
        discrepancies between the sheet and Frontline's figures). None by default."""
        return []

    def plan(self, items: Sequence[ImportItem]) -> ApplySummary:
        """What ``apply`` would do: counts by action."""
        summary = ApplySummary()
        for item in items:
            if item.action == CREATE:
                summary.created += 1
            elif item.action == UPDATE:
                summary.updated += 1
            else:
                summary.unchanged += 1
        return summary

    def apply(
        self, items: Sequence[ImportItem], *, by: Any | None, progress: Progress, report: ImportReport
    ) -> ApplySummary:
        """Write the items (inside the import's transaction); call ``progress(1)`` per item.

        Raise :class:`ApplyError` if a row fails after all: the import rolls back.
        """
        raise NotImplementedError


def reject_duplicates(
    items: list[ImportItem], keys: Callable[[ImportItem], Iterable[tuple[str, str]]]
) -> tuple[list[ImportItem], list[RowError]]:
    """Keep the first row of each key; every later row with the same key is an error."""
    first_line: dict[tuple[str, str], int] = {}
    kept: list[ImportItem] = []
    errors: list[RowError] = []
    for item in items:
        clash = []
        for column, key in keys(item):
            if not key:
                continue
            earlier = first_line.get((column, key))
            if earlier is not None:
                clash.append(RowError(item.line, column, f"same {column} as line {earlier} ({key})"))
        if clash:
            errors.extend(clash)
            continue
        for column, key in keys(item):
            if key:
                first_line[(column, key)] = item.line
        kept.append(item)
    return kept, errors


_REGISTRY: dict[str, Importer] = {}


def register_importer(kind: str, importer: Importer) -> None:
    """Make ``importer`` the one for ``kind``. Call from ``AppConfig.ready()``."""
    existing = _REGISTRY.get(kind)
    if existing is not None and type(existing) is not type(importer):
        raise ValueError(f"importer kind {kind!r} is already registered by {type(existing).__name__}")
    _REGISTRY[kind] = importer


def get_importer(kind: str) -> Importer:
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise ImportFileError(
            f"Unknown import kind {kind!r}; available: {', '.join(importer_kinds()) or 'none'}.",
            field="kind",
        ) from None


def importer_kinds() -> list[str]:
    return sorted(_REGISTRY)


# --- the report -------------------------------------------------------------------------------


@dataclass
class ImportReport:
    kind: str
    source: str
    dry_run: bool = False
    skip_invalid: bool = False
    rows_read: int = 0
    valid: int = 0
    invalid: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = False
    #: The row whose write failed after validation passed; the import rolled back.
    aborted: RowError | None = None
    seconds: float = 0.0
    #: What the importer points out about the valid rows before writing (``Importer.review``).
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Nothing was written: invalid rows (without ``skip_invalid``) or a failed write."""
        return self.aborted is not None or (bool(self.errors) and not self.skip_invalid)

    @property
    def invalid_lines(self) -> list[int]:
        return sorted({e.line for e in self.errors})

    def headline(self) -> str:
        if self.aborted is not None:
            return (
                f"Nothing was imported: writing line {self.aborted.line} of {self.source} failed "
                f"({self.aborted.column or 'row'}: {self.aborted.reason}); every change was rolled back."
            )
        if self.failed:
            return (
                f"Nothing was imported: {self.invalid} of {self.rows_read} rows of {self.source} are "
                f"invalid. Fix them, or pass --skip-invalid to import the {self.valid} valid rows."
            )
        if self.dry_run:
            return f"Dry run of the {self.kind} import from {self.source}: nothing was written."
        skipped = f" Skipped {self.invalid} invalid rows." if self.invalid else ""
        return (
            f"Imported {self.kind} from {self.source}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged.{skipped}"
        )

    def as_table(self, *, max_errors: int | None = None) -> str:
        """The report as plain text: a headline, the counts, then one line per row error."""
        would = "would be " if self.dry_run or self.failed else ""
        counts = [
            ("rows read", self.rows_read),
            ("valid", self.valid),
            ("invalid", self.invalid),
            (f"{would}created", self.created),
            (f"{would}updated", self.updated),
            ("unchanged", self.unchanged),
        ]
        width = max(len(label) for label, _ in counts)
        lines = [self.headline(), ""]
        lines += [f"  {label.ljust(width)}  {value:>8,}" for label, value in counts]
        for note in self.notes:
            lines += ["", note]
        if self.errors:
            shown = self.errors if max_errors is None else self.errors[:max_errors]
            col_w = max(len("column"), *(len(e.column or "(row)") for e in shown))
            line_w = max(len("line"), *(len(str(e.line)) for e in shown))
            lines += ["", f"  {'line'.rjust(line_w)}  {'column'.ljust(col_w)}  reason"]
            lines.append(f"  {'-' * line_w}  {'-' * col_w}  {'-' * 6}")
            lines += [
                f"  {str(e.line).rjust(line_w)}  {(e.column or '(row)').ljust(col_w)}  {e.reason}"
                for e in shown
            ]
            if len(shown) < len(self.errors):
                lines.append(f"  ... and {len(self.errors) - len(shown)} more errors")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "source": self.source,
            "dry_run": self.dry_run,
            "skip_invalid": self.skip_invalid,
            "rows_read": self.rows_read,
            "valid": self.valid,
            "invalid": self.invalid,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "written": self.written,
            "errors": [{"line": e.line, "column": e.column, "reason": e.reason} for e in self.errors],
        }


# --- progress ---------------------------------------------------------------------------------

#: Opens a progress display for ``total`` rows labelled ``desc``; yields its callback.
ProgressFactory = Callable[[int, str], AbstractContextManager[Progress]]


def silent_progress(total: int, desc: str) -> AbstractContextManager[Progress]:
    return nullcontext(no_progress)


def tqdm_progress(stream: IO[str], *, enabled: bool = True) -> ProgressFactory:
    """A progress bar on ``stream`` (stderr), shown only when it is a terminal and ``enabled``."""
    show = enabled and hasattr(stream, "isatty") and stream.isatty()

    @contextmanager
    def factory(total: int, desc: str) -> Iterator[Progress]:
        if not show:
            yield no_progress
            return
        from tqdm import tqdm

        with tqdm(total=total, desc=desc, unit="row", file=stream, leave=False, dynamic_ncols=True) as bar:

            def advance(n: int) -> None:
                bar.update(n)

            yield advance

    return factory


# --- running an import ------------------------------------------------------------------------


def run_import(
    kind: str,
    path: str | Path,
    *,
    by: Any | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: ProgressFactory = silent_progress,
    max_rows: int | None = None,
) -> ImportReport:
    """Read, validate and (unless ``dry_run`` or rows are invalid) write one file.

    Raises :class:`ImportFileError` when the file or its header is unusable; row problems are
    in the returned report (``report.failed`` tells whether they stopped the import).
    """
    started = time.monotonic()
    importer = get_importer(kind)
    table = read_table(path, max_rows=max_rows)
    problems = importer.check_columns(table.headers)
    if problems:
        expected = ", ".join(importer.column_names())
        raise ImportFileError(f"{table.source}: {' '.join(problems)} The {kind} columns are: {expected}.")

    report = ImportReport(kind=kind, source=table.source, dry_run=dry_run, skip_invalid=skip_invalid)
    items, errors = importer.validate(table.rows)
    report.errors = sorted([*table.errors, *errors])
    report.rows_read = table.rows_read
    report.invalid = len(report.invalid_lines)
    report.valid = len(items)
    report.notes = importer.review(items, source=table.source)

    if report.failed or dry_run or not items:
        planned = importer.plan(items)
        report.created, report.updated, report.unchanged = planned.created, planned.updated, planned.unchanged
        report.seconds = time.monotonic() - started
        return report

    try:
        with transaction.atomic(), progress(len(items), f"Importing {kind}") as advance:
            summary = importer.apply(items, by=by, progress=advance, report=report)
    except ApplyError as exc:
        report.aborted = exc.error
        report.errors = sorted([*report.errors, exc.error])
        report.invalid = len(report.invalid_lines)
        report.valid = len(items) - 1
        planned = importer.plan(items)
        report.created, report.updated, report.unchanged = planned.created, planned.updated, planned.unchanged
        report.seconds = time.monotonic() - started
        return report
    report.created, report.updated, report.unchanged = summary.created, summary.updated, summary.unchanged
    report.written = True
    report.seconds = time.monotonic() - started
    return report
