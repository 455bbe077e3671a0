"""The import framework on its own: reading CSV/XLSX, header checks, duplicate keys, the report.

The customers importer (customers/tests/test_importers.py) covers writing and the command.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from openpyxl import Workbook

from frontline.core import importing
from frontline.core.importing import (
    Column,
    ImportFileError,
    ImportItem,
    ImportReport,
    Row,
    RowError,
    read_table,
    sniff_delimiter,
)


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


class TestReadCsv:
    def test_comma_file_with_byte_order_mark_gives_rows_with_line_numbers(self, tmp_path):
        path = write(
            tmp_path, "people.csv", "\ufeffName,E-Mail\nAnna,anna@example.com\n\nBen,ben@example.com\n"
        )

        table = read_table(path)

        assert table.headers == ["name", "e_mail"]
        assert table.rows == [
            Row(2, {"name": "Anna", "e_mail": "anna@example.com"}),
            Row(4, {"name": "Ben", "e_mail": "ben@example.com"}),
        ]
        assert table.rows_read == 2

    @pytest.mark.parametrize("delimiter", [";", "\t"])
    def test_semicolon_and_tab_files_are_sniffed(self, tmp_path, delimiter):
        path = write(tmp_path, "people.csv", f"name{delimiter}city\nJürgen Weiß{delimiter}Köln, Altstadt\n")

        table = read_table(path)

        assert table.rows == [Row(2, {"name": "Jürgen Weiß", "city": "Köln, Altstadt"})]

    def test_quoted_multiline_value_keeps_the_line_where_the_row_starts(self, tmp_path):
        path = write(tmp_path, "notes.csv", 'name,note\nAnna,"two\nlines"\nBen,short\n')

        table = read_table(path)

        assert [(r.line, r.values["note"]) for r in table.rows] == [(2, "two\nlines"), (4, "short")]

    def test_short_rows_are_padded_and_long_rows_are_row_errors(self, tmp_path):
        path = write(tmp_path, "people.csv", "name,city\nAnna\nBen,Berlin,extra\nCem,Ulm,\n")

        table = read_table(path)

        assert table.rows == [Row(2, {"name": "Anna", "city": ""}), Row(4, {"name": "Cem", "city": "Ulm"})]
        assert table.errors == [
            RowError(
                3, "", "has 3 values but the header has 2 columns (an unquoted delimiter inside a value?)"
            )
        ]
        assert table.rows_read == 3

    def test_latin1_file_is_refused_with_the_line_of_the_first_bad_byte(self, tmp_path):
        path = write(tmp_path, "people.csv", "name\nAnna\nJürgen\n", encoding="latin-1")

        with pytest.raises(ImportFileError) as exc:
            read_table(path)

        assert exc.value.message == (
            "people.csv is not UTF-8 text (the first bad byte is on line 3). Save it as 'CSV UTF-8' and try again."
        )

    def test_empty_file_duplicate_and_blank_headers_are_refused(self, tmp_path):
        with pytest.raises(ImportFileError, match="is empty"):
            read_table(write(tmp_path, "a.csv", "\n\n"))
        with pytest.raises(ImportFileError, match="the column email appears twice"):
            read_table(write(tmp_path, "b.csv", "email,Email\nx,y\n"))
        with pytest.raises(ImportFileError, match="column 2 of the header has no name"):
            read_table(write(tmp_path, "c.csv", "email,,name\nx,y,z\n"))

    def test_more_rows_than_the_limit_is_refused_before_validation(self, tmp_path):
        path = write(tmp_path, "big.csv", "name\n" + "".join(f"n{i}\n" for i in range(4)))

        with pytest.raises(ImportFileError, match="has more than 3 rows"):
            read_table(path, max_rows=3)

    def test_the_limit_comes_from_settings(self, tmp_path, settings):
        settings.IMPORT_MAX_ROWS = 2
        path = write(tmp_path, "big.csv", "name\na\nb\nc\n")

        with pytest.raises(ImportFileError, match="more than 2 rows"):
            read_table(path)

    def test_sniffer_ignores_delimiters_inside_quotes(self):
        assert sniff_delimiter('"a;b;c",d,e') == ","
        assert sniff_delimiter("a;b,c;d") == ";"
        assert sniff_delimiter("single") == ","


class TestReadFiles:
    def test_unsupported_extension_and_missing_file(self, tmp_path):
        with pytest.raises(ImportFileError, match=r"unsupported file type \.xls; .* Save it as \.xlsx"):
            read_table(tmp_path / "old.xls")
        with pytest.raises(ImportFileError, match="no such file"):
            read_table(tmp_path / "missing.csv")

    def test_xlsx_first_sheet_header_row_and_cell_types(self, tmp_path):
        book = Workbook()
        sheet = book.active
        sheet.append([])
        sheet.append(["Name", "Phone", "Consent", "Since", "Score"])
        sheet.append(["Ayşe", 4915112345678, True, datetime(2024, 5, 1), 1.5])
        sheet.append([None, None, None, None, None])
        sheet.append(["محمد", "+971 50 123 4567", False, datetime(2024, 5, 1, 9, 30), 2])
        book.create_sheet("ignored").append(["other"])
        path = tmp_path / "people.xlsx"
        book.save(path)

        table = read_table(path)

        assert table.headers == ["name", "phone", "consent", "since", "score"]
        assert table.rows == [
            Row(
                3,
                {
                    "name": "Ayşe",
                    "phone": "4915112345678",
                    "consent": "true",
                    "since": "2024-05-01",
                    "score": "1.5",
                },
            ),
            Row(
                5,
                {
                    "name": "محمد",
                    "phone": "+971 50 123 4567",
                    "consent": "false",
                    "since": "2024-05-01 09:30:00",
                    "score": "2",
                },
            ),
        ]

    def test_a_file_that_is_not_a_workbook_is_refused(self, tmp_path):
        path = write(tmp_path, "fake.xlsx", "name\nAnna\n")

        with pytest.raises(ImportFileError, match=r"fake\.xlsx is not a readable \.xlsx workbook"):
            read_table(path)


@dataclass
class NameItem(ImportItem):
    email: str = ""


class NameImporter(importing.Importer):
    kind = "names"
    description = "test"
    columns = (Column("name", required=True), Column("email"))

    def clean_row(self, row):
        if not row.get("name"):
            return [RowError(row.line, "name", "is required")]
        return NameItem(line=row.line, email=row.get("email").lower())

    def item_keys(self, item):
        return [("email", item.email)]


class TestImporterBase:
    def test_unknown_and_missing_columns_are_named_with_a_suggestion(self):
        problems = NameImporter().check_columns(["emial", "phone"])

        assert problems == [
            "Unknown column emial (did you mean email?).",
            "Unknown column phone.",
            "Missing required column(s): name.",
        ]

    def test_validate_collects_every_bad_row_and_rejects_repeated_keys(self):
        rows = [
            Row(2, {"name": "Anna", "email": "a@example.com"}),
            Row(3, {"name": "", "email": "b@example.com"}),
            Row(4, {"name": "Anna B", "email": "A@example.com"}),
            Row(5, {"name": "Ben", "email": ""}),
            Row(6, {"name": "Cem", "email": ""}),
        ]

        items, errors = NameImporter().validate(rows)

        assert [i.line for i in items] == [2, 5, 6]
        assert errors == [
            RowError(3, "name", "is required"),
            RowError(4, "email", "same email as line 2 (a@example.com)"),
        ]

    def test_registry_refuses_a_second_importer_class_for_a_kind(self, monkeypatch):
        monkeypatch.setattr(importing, "_REGISTRY", dict(importing._REGISTRY))
        importing.register_importer("test-names", NameImporter())
        importing.register_importer("test-names", NameImporter())  # same class again: fine

        with pytest.raises(ValueError, match="already registered"):
            importing.register_importer("test-names", importing.Importer())
        with pytest.raises(ImportFileError, match="Unknown import kind 'nope'"):
            importing.get_importer("nope")


class TestReport:
    def test_failed_report_lists_each_error_with_line_column_and_reason(self):
        report = ImportReport(
            kind="customers",
            source="x.csv",
            rows_read=3,
            valid=1,
            invalid=2,
            created=1,
            errors=[RowError(2, "email", "'x' is not a valid email address"), RowError(3, "", "has no name")],
        )

        assert report.failed
        assert report.as_table() == "\n".join(
            [
                "Nothing was imported: 2 of 3 rows of x.csv are invalid. Fix them, or pass --skip-invalid "
                "to import the 1 valid rows.",
                "",
                "  rows read                3",
                "  valid                    1",
                "  invalid                  2",
                "  would be created         1",
                "  would be updated         0",
                "  unchanged                0",
                "",
                "  line  column  reason",
                "  ----  ------  ------",
                "     2  email   'x' is not a valid email address",
                "     3  (row)   has no name",
            ]
        )

    def test_error_list_can_be_capped(self):
        report = ImportReport(
            kind="k", source="s", errors=[RowError(n, "c", "bad") for n in range(2, 7)], skip_invalid=True
        )

        text = report.as_table(max_errors=2)

        assert "  ... and 3 more errors" in text
        assert text.count(" bad") == 2
