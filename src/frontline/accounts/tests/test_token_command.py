"""``frontline token create|list|revoke``."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command

from frontline.accounts.models import APIToken
from frontline.accounts.selectors import api_token_authenticate
from frontline.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def refused(*args: str) -> str:
    with pytest.raises(CommandError) as raised:
        run(*args)
    return str(raised.value)


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_prints_the_token_once(agent):
    out, err = run("create", "sara", "--name", "nightly export", "--expires-days", "30")

    raw = out.strip()
    assert re.fullmatch(r"fl_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", raw)
    assert api_token_authenticate(raw) == agent
    token = APIToken.objects.get()
    assert token.name == "nightly export"
    assert token.expires_at is not None
    assert round((token.expires_at - token.created_at).total_seconds() / 86400) == 30
    assert "cannot be shown again" in err
    assert raw not in err
    assert AuditEntry.objects.get(verb="api_token.created").actor is None


def test_create_defaults(agent):
    run("create", "sara")

    token = APIToken.objects.get()
    assert (token.name, token.expires_at) == ("command line", None)


def test_unknown_user_is_a_clear_error():
    assert refused("create", "ghost") == "No user is called 'ghost'."
    assert refused("list", "ghost") == "No user is called 'ghost'."

    assert APIToken.objects.count() == 0


def test_customer_gets_a_token_too(customer):
    # A portal customer may script against the API; what the token reaches is their own data.
    run("create", "justine")
    assert APIToken.objects.get().user == customer


def test_bad_expiry(agent):
    assert refused("create", "sara", "--expires-days", "0") == "--expires-days must be 1 or more."

    assert APIToken.objects.count() == 0


def test_list(agent):
    assert run("list", "sara")[0] == "sara has no API tokens.\n"
    run("create", "sara", "--name", "first")
    prefix = APIToken.objects.get().key_prefix

    out, _err = run("list", "sara")

    lines = out.splitlines()
    assert lines[0].split() == ["PREFIX", "STATUS", "CREATED", "LAST", "USED", "EXPIRES", "NAME"]
    assert lines[1].startswith(f"{prefix}  active")
    assert lines[1].endswith("first")


def test_revoke_by_prefix_or_whole_token(agent):
    raw = run("create", "sara")[0].strip()
    prefix = APIToken.objects.get().key_prefix

    out, _err = run("revoke", prefix)

    assert out == f"Revoked token {prefix} (command line) of sara.\n"
    assert api_token_authenticate(raw) is None
    assert refused("revoke", raw) == "This token is already revoked."


def test_revoke_unknown_prefix():
    assert refused("revoke", "abcdef012345") == "No token has the prefix 'abcdef012345'."
