"""``frontline demo``: migrate, load the demo data set into an empty database, then serve.

``frontline`` sets ``FRONTLINE_DEMO=1`` before Django loads when the command is ``demo``:
plain HTTP on 127.0.0.1 and readable logs. Running it again keeps the data already there.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from frontline.workspace.demo_data import DEMO_PASSWORD

#: One login per role, named after the people of the seeds (DESIGN.md section 4).
DEMO_LOGINS: tuple[tuple[str, str], ...] = (
    ("elias", "reporter"),
    ("isabella", "lead"),
    ("thomas", "lead"),
    ("sara", "agent"),
    ("omar", "tech"),
    ("sam", "sales"),
    ("lena", "logistics"),
    ("paul", "product"),
    ("admin", "admin"),
    ("justine", "customer (portal)"),
)


class Command(BaseCommand):
    help = "Set up the demo (migrate, load demo data into an empty database) and run web + worker."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to bind (default: 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="Port to bind (default: 8000).")
        parser.add_argument(
            "--no-serve",
            action="store_false",
            dest="serve",
            help="Set up the database and print the logins, but do not start the server.",
        )

    def handle(self, *args: Any, host: str, port: int, serve: bool, **options: Any) -> None:
        verbosity = options["verbosity"]
        self.stdout.write("Preparing the database...")
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0), stdout=self.stdout)
        if get_user_model().objects.exists():
            self.stdout.write("The database already has users: keeping its data.")
        else:
            self.stdout.write("Loading the demo data set...")
            call_command("seed", scale="demo", verbosity=verbosity, stdout=self.stdout)
        self.stdout.write(self._banner(host, port, serving=serve))
        if serve:
            call_command("serve", host=host, port=port)

    def _banner(self, host: str, port: int, *, serving: bool) -> str:
        shown_host = "127.0.0.1" if host in {"0.0.0.0", "::"} else host
        url = f"http://{shown_host}:{port}"
        width = max(len(name) for name, _ in DEMO_LOGINS)
        lines = [
            "",
            self.style.SUCCESS(f"Frontline demo: {url}"),
            f"API documentation: {url}/api/v1/docs",
            f"Logins (password for all: {DEMO_PASSWORD}):",
            *(f"  {name.ljust(width)}  {role}" for name, role in DEMO_LOGINS),
            *self._webhook_lines(url),
            "Stop with Ctrl+C." if serving else f"Start it with: frontline demo --port {port}",
            "",
        ]
        return "\n".join(lines)

    def _webhook_lines(self, url: str) -> list[str]:
        secrets = getattr(settings, "TRACKING_WEBHOOK_SECRETS", None)
        if not isinstance(secrets, dict) or secrets.get("generic") != settings.DEMO_WEBHOOK_SECRET:
            return []
        return [
            f"Carrier events: POST {url}/hooks/tracking/generic, signed with the demo secret "
            f"'{settings.DEMO_WEBHOOK_SECRET}' (README: What to try in the demo).",
        ]
