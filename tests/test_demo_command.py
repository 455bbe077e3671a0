"""``frontline demo`` set-up (``--no-serve``): migrate, seed only an empty database, print logins."""

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from frontline.workspace.demo_data import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

EXPECTED_LOGINS = [
    "  elias     reporter",
    "  isabella  lead",
    "  thomas    lead",
    "  sara      agent",
    "  omar      tech",
    "  sam       sales",
    "  lena      logistics",
    "  paul      product",
    "  admin     admin",
    "  justine   customer (portal)",
]


def test_demo_keeps_existing_data_and_prints_the_url_and_logins():
    # given a database that already has a user
    get_user_model().objects.create_user(username="someone", password="x")
    out = StringIO()

    # when the demo is set up without serving
    call_command("demo", serve=False, stdout=out, no_color=True)

    # then nothing is seeded and the banner names the URL, the password and every login
    lines = out.getvalue().splitlines()
    assert "The database already has users: keeping its data." in lines
    assert "Loading the demo data set..." not in lines
    assert "Frontline demo: http://127.0.0.1:8000" in lines
    assert f"Logins (password for all: {DEMO_PASSWORD}):" in lines
    start = lines.index(f"Logins (password for all: {DEMO_PASSWORD}):") + 1
    assert lines[start : start + len(EXPECTED_LOGINS)] == EXPECTED_LOGINS
    assert list(get_user_model().objects.values_list("username", flat=True)) == ["someone"]


def test_demo_port_option_changes_the_printed_url():
    get_user_model().objects.create_user(username="someone", password="x")
    out = StringIO()

    call_command("demo", serve=False, port=8123, stdout=out, no_color=True)

    assert "Frontline demo: http://127.0.0.1:8123" in out.getvalue().splitlines()


def test_the_console_script_turns_demo_mode_on_for_the_demo_command_only():
    code = "import os, sys; sys.argv = ['frontline', sys.argv[1]]; " + (
        "from frontline.__main__ import main; import django.core.management as m; "
        "m.execute_from_command_line = lambda argv: print(os.environ.get('FRONTLINE_DEMO', '-')); main()"
    )
    env = {k: v for k, v in os.environ.items() if k != "FRONTLINE_DEMO"}

    def demo_flag(command: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", code, command], env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    assert demo_flag("demo") == "1"
    assert demo_flag("serve") == "-"


def test_the_demo_banner_names_the_webhook_and_its_demo_secret(settings):
    get_user_model().objects.create_user(username="someone", password="x")
    settings.TRACKING_WEBHOOK_SECRETS = {"generic": settings.DEMO_WEBHOOK_SECRET}
    out = StringIO()

    call_command("demo", serve=False, stdout=out, no_color=True)

    assert (
        "Carrier events: POST http://127.0.0.1:8000/hooks/tracking/generic, signed with the demo secret "
        "'frontline-demo-webhook' (README: What to try in the demo)."
    ) in out.getvalue().splitlines()


def test_the_banner_keeps_an_operators_own_webhook_secret_to_itself(settings):
    get_user_model().objects.create_user(username="someone", password="x")
    settings.TRACKING_WEBHOOK_SECRETS = {"generic": "the-operators-own"}
    out = StringIO()

    call_command("demo", serve=False, stdout=out, no_color=True)

    assert "/hooks/tracking/" not in out.getvalue() and "the-operators-own" not in out.getvalue()


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"FRONTLINE_DEMO": "1"}, "{'generic': 'frontline-demo-webhook'}"),
        ({"FRONTLINE_DEMO": "1", "TRACKING_WEBHOOK_SECRETS": "generic=mine"}, "unset"),
        ({}, "unset"),
    ],
)
def test_only_the_demo_without_its_own_secrets_gets_the_published_webhook_secret(environment, expected):
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'frontline.config.settings'; "
        "from django.conf import settings; print(getattr(settings, 'TRACKING_WEBHOOK_SECRETS', 'unset'))"
    )
    keep = {k: v for k, v in os.environ.items() if k not in {"FRONTLINE_DEMO", "TRACKING_WEBHOOK_SECRETS"}}
    keep.pop("DJANGO_SETTINGS_MODULE", None)

    done = subprocess.run(
        [sys.executable, "-c", code], env={**keep, **environment}, capture_output=True, text=True, check=True
    )

    assert done.stdout.strip() == expected
