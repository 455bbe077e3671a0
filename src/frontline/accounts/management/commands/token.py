"""``frontline token create|list|revoke``: API tokens from the command line.

frontline token create USERNAME [--name NAME] [--expires-days N]   prints the token, once
frontline token list USERNAME
frontline token revoke PREFIX
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from frontline.accounts import selectors, services
from frontline.accounts.models import APIToken, User
from frontline.core.errors import DomainError


class Command(BaseCommand):
    help = "Create, list and revoke API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{create,list,revoke}")
        create = actions.add_parser(
            "create", help="Create a token for USERNAME and print it (shown only once)."
        )
        create.add_argument("username")
        create.add_argument(
            "--name", default="command line", help="What the token is for (default: %(default)s)."
        )
        create.add_argument(
            "--expires-days", type=int, default=None, help="Days until it expires (default: never)."
        )
        listing = actions.add_parser("list", help="List USERNAME's tokens.")
        listing.add_argument("username")
        revoke = actions.add_parser(
            "revoke", help="Revoke the token with this prefix (the part after 'fl_')."
        )
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(**options)

    def _user(self, username: str) -> User:
        user = selectors.user_get_by_username(username)
        if user is None:
            raise CommandError(f"No user is called {username!r}.")
        return user

    def _create(self, *, username: str, name: str, expires_days: int | None, **_: Any) -> None:
        user = self._user(username)
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be 1 or more.")
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        try:
            token, raw = services.api_token_create(user=user, name=name, expires_at=expires_at, by=None)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(raw)
        expiry = f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else "never expires"
        self.stderr.write(
            f"Token {token.key_prefix!r} for {user.username} ({expiry}). Store it now: it cannot be shown again."
        )

    def _list(self, *, username: str, **_: Any) -> None:
        user = self._user(username)
        tokens = selectors.api_token_list_for_user(user)
        if not tokens:
            self.stdout.write(f"{user.username} has no API tokens.")
            return
        self.stdout.write(f"{'PREFIX':<14}{'STATUS':<9}{'CREATED':<18}{'LAST USED':<18}{'EXPIRES':<18}NAME")
        for token in tokens:
            self.stdout.write(
                f"{token.key_prefix:<14}{_status(token):<9}{_when(token.created_at):<18}"
                f"{_when(token.last_used_at):<18}{_when(token.expires_at):<18}{token.name}"
            )

    def _revoke(self, *, prefix: str, **_: Any) -> None:
        prefix = prefix.removeprefix("fl_").split("_", 1)[0]
        token = selectors.api_token_get_by_prefix(prefix)
        if token is None:
            raise CommandError(f"No token has the prefix {prefix!r}.")
        try:
            services.api_token_revoke(token=token, by=None)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Revoked token {token.key_prefix} ({token.name}) of {token.user.username}.")


def _status(token: APIToken) -> str:
    if token.revoked_at:
        return "revoked"
    return "active" if token.is_active else "expired"


def _when(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else "-"
