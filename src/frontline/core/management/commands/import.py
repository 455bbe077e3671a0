"""``frontline import KIND FILE``: load records from a CSV or XLSX file.

Every row is validated first; if any is invalid nothing is written and the command exits with
status 1, listing each bad row with its line, column and reason. ``--skip-invalid`` writes the
valid rows anyway, ``--dry-run`` only reports what would be created and updated. Writing is one
transaction: all rows or none.
"""

from __future__ import annotations

import sys
import textwrap
from argparse import ArgumentParser, RawDescriptionHelpFormatter
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontline.core import importing


class Command(BaseCommand):
    help = (
        "Import records from a CSV (UTF-8; comma, semicolon or tab separated) or XLSX file "
        "(first sheet). The first row names the columns. Nothing is written unless every row "
        "is valid (see --skip-invalid)."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        parser.epilog = self._kinds_help()
        return parser

    def _kinds_help(self) -> str:
        kinds = importing.importer_kinds()
        if not kinds:
            return "No import kinds are registered."
        lines = ["kinds:"]
        for kind in kinds:
            importer = importing.get_importer(kind)
            lines.append(f"  {kind:<12} {importer.description}")
            columns = ", ".join(c.name + ("*" if c.required else "") for c in importer.columns)
            lines += textwrap.wrap(
                f"columns: {columns}", width=96, initial_indent=" " * 15, subsequent_indent=" " * 24
            )
        lines.append("")
        lines += textwrap.wrap(
            "Exit status: 0 imported (with --skip-invalid: the valid rows), 1 nothing written because of "
            "invalid rows or an unusable file (or a dry run found invalid rows), 2 usage error.",
            width=96,
        )
        return "\n".join(lines)

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "kind", help=f"What the file holds: {', '.join(importing.importer_kinds()) or 'none'}."
        )
        parser.add_argument("file", help="Path of the .csv, .tsv or .xlsx file.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate and report what would change; write nothing."
        )
        parser.add_argument(
            "--skip-invalid", action="store_true", help="Write the valid rows even if some rows are invalid."
        )
        parser.add_argument(
            "--as",
            dest="actor",
            metavar="USERNAME",
            help="Record the changes in the audit log as this user (default: the system).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")
        parser.add_argument(
            "--max-errors",
            type=int,
            default=None,
            metavar="N",
            help="Print at most N row errors (default: all of them).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind: str = options["kind"]
        if kind not in importing.importer_kinds():
            raise CommandError(
                f"Unknown import kind {kind!r}; choose one of: {', '.join(importing.importer_kinds()) or 'none'}."
            )
        importer = importing.get_importer(kind)
        actor = self._actor(options["actor"], importer)
        stream = getattr(self.stderr, "_out", sys.stderr)
        progress = importing.tqdm_progress(stream, enabled=not options["no_progress"])
        try:
            report = importing.run_import(
                kind,
                options["file"],
                by=actor,
                dry_run=options["dry_run"],
                skip_invalid=options["skip_invalid"],
                progress=progress,
            )
        except importing.ImportFileError as exc:
            raise CommandError(exc.message, returncode=1) from None

        text = report.as_table(max_errors=options["max_errors"])
        if report.failed:
            self.stdout.write(text)
            raise CommandError(
                f"{report.invalid} invalid row(s) in {report.source}; nothing was written.", returncode=1
            )
        style = self.style.WARNING if report.errors else self.style.SUCCESS
        head, _sep, rest = text.partition("\n")
        self.stdout.write(style(head) + ("\n" + rest if rest else ""))
        if options["verbosity"] >= 2:
            self.stdout.write(f"Took {report.seconds:.1f} s.")
        if report.dry_run and report.errors:
            raise CommandError(f"{report.invalid} invalid row(s) in {report.source}.", returncode=1)
        if report.errors and not report.valid:
            raise CommandError(f"No valid row in {report.source}; nothing was written.", returncode=1)

    def _actor(self, username: str | None, importer: importing.Importer) -> Any | None:
        if not username:
            return None
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            raise CommandError(f"No user named {username!r} (--as).") from None
        if not user.is_active:
            raise CommandError(f"{username} is deactivated and cannot import (--as).")
        if importer.permission and not user.has_perm(importer.permission):
            raise CommandError(f"{username} may not import {importer.kind} (needs {importer.permission}).")
        return user
