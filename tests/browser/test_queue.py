"""In a real browser: sign in, open the team's queue, filter it live, select two cases and assign
them in bulk, read the result per case; search a case by a word of its message. No CSP
violations.

Skipped where Chromium is not installed (``apt-get install chromium``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from frontline.accounts.choices import Role
from frontline.accounts.tests.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory
from frontline.cases.models import Case
from frontline.cases.tests.factories import make_case

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = os.environ.get("FRONTLINE_SHOTS", "")  # a folder: save screenshots there

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser() -> Iterator[tuple[Any, list[str]]]:
    """A Chromium page, and the CSP violations its console reports."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        page = chromium.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(10_000)
        violations: list[str] = []

        def on_console(message: Any) -> None:
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
                violations.append(message.text)

        page.on("console", on_console)
        yield page, violations
        chromium.close()


def shot(page: Any, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


def test_filter_the_queue_and_assign_in_bulk(live_server: Any, browser: tuple[Any, list[str]]) -> None:
    page, csp_violations = browser
    desk = TeamFactory(name="Shipments Desk", slug="desk")
    thomas = UserFactory(username="thomas", role=Role.LEAD, first_name="Thomas", last_name="Becker")
    sara = UserFactory(username="sara", role=Role.AGENT, first_name="Sara", last_name="Lind")
    MembershipFactory(team=desk, user=thomas, is_lead=True)
    MembershipFactory(team=desk, user=sara)
    now = timezone.now()
    urgent = [
        make_case(subject=f"Pallet stuck at the hub {i}", priority="urgent", team_id=desk.pk)
        for i in range(2)
    ]
    make_case(subject="Invoice copy", priority="low", team_id=desk.pk)
    make_case(
        subject="Refund request", body="The courier lost my parcel with the spare pump.", team_id=desk.pk
    )
    for i, made in enumerate(urgent):
        Case.objects.filter(pk=made.pk).update(sla_due_at=now + timedelta(minutes=30 * (i + 1)))

    # Sign in and open the team's queue.
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "thomas")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.click("nav >> text=Cases")
    page.wait_for_url(f"{live_server.url}/cases/")
    page.click(".queue-tabs >> text=My team's")
    page.wait_for_url("**/cases/?tab=team")
    assert page.locator("#queue-results tbody tr").count() == 4
    page.locator(".queue-tabs .count").first.wait_for()  # the tab counts arrive by themselves

    # Filter: only the urgent ones, live, with a short address.
    page.select_option("#f-priority", "urgent")
    page.wait_for_function("() => document.querySelectorAll('#queue-results tbody tr').length === 2")
    page.wait_for_url("**/cases/?tab=team&priority=urgent")
    assert "Invoice copy" not in page.inner_text("#queue-results")

    # Select both; the bulk bar appears with the count.
    bar = page.locator(".bulk-bar")
    assert not bar.is_visible()
    page.check("#queue-select-all")
    bar.wait_for(state="visible")
    assert page.inner_text("#bulk-count") == "2 selected"
    shot(page, "queue-bulk-selected")

    # Assign both to Sara: one result line per case, the rows show her.
    page.select_option("#bulk-assignee", label="Sara Lind")
    page.click("button[name=action][value=assign]")
    result = page.locator("#bulk-result")
    result.wait_for()
    for made in urgent:
        assert f"#{made.reference}: assigned" in result.inner_text()
    assert page.locator("#queue-results tbody tr", has_text="Sara Lind").count() == 2
    assert set(
        Case.objects.filter(pk__in=[c.pk for c in urgent]).values_list("assignee__username", flat=True)
    ) == {"sara"}
    assert page.locator(".bulk-bar").is_hidden()
    shot(page, "queue-bulk-done")

    # Search a word of a message: the case is found, the word highlighted.
    page.fill("#queue-search", "courier")
    page.press("#queue-search", "Enter")
    page.wait_for_url("**/cases/search/?q=courier")
    assert page.inner_text("#search-results mark") == "courier"
    assert "Refund request" in page.inner_text("#search-results")

    assert csp_violations == []
