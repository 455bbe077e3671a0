"""In a real browser: sign in, find a customer from the header as you type, open the 360 page,
log a call and see it on the timeline, filter the customer list live. No CSP violations.

Skipped where Chromium is not installed (``apt-get install chromium``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from frontline.accounts.choices import Role
from frontline.accounts.tests.factories import PASSWORD, UserFactory
from frontline.customers.tests.factories import CustomerFactory

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Playwright's sync API runs an event loop in this thread; the ORM calls we make around it
# are ordinary synchronous test set-up.
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
        page = chromium.new_page(viewport={"width": 1300, "height": 900})
        page.set_default_timeout(10_000)
        violations: list[str] = []

        def on_console(message: Any) -> None:
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
                violations.append(message.text)

        page.on("console", on_console)
        yield page, violations
        chromium.close()


def test_sign_in_quick_search_and_open_the_360(live_server: Any, browser: tuple[Any, list[str]]) -> None:
    page, csp_violations = browser
    agent = UserFactory(username="sara", role=Role.AGENT, first_name="Sara", last_name="Lind")
    justine = CustomerFactory(
        first_name="Justine", last_name="Harrington", email="justine@example.com", phone="+1 555 123 4567",
        org="Acme Retail", tags=["vip"], by=agent,
    )  # fmt: skip
    CustomerFactory(first_name="Thomas", last_name="Becker", org="SparePartsPro GmbH")

    # Sign in.
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "sara")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert "Sara Lind" in page.inner_text("nav")

    # Quick search as you type: "/" focuses the box.
    page.keyboard.press("/")
    page.keyboard.type("harr", delay=60)
    result = page.locator("#quick-search-results a", has_text="Justine Harrington")
    result.wait_for()
    assert "Acme Retail" in result.inner_text()
    assert "justine@example.com" in result.inner_text()
    assert page.locator("#quick-search-results a", has_text="Thomas Becker").count() == 0

    # Open the 360 page.
    result.click()
    page.wait_for_url(f"{live_server.url}/customers/{justine.pk}/")
    assert page.inner_text("h1").startswith("Justine Harrington")
    profile = page.inner_text("#profile-heading >> xpath=../..")
    assert "justine@example.com" in profile and "+1 555 123 4567" in profile
    assert page.locator(f'[data-live-group="customer-{justine.pk}"]').count() == 1

    # Log a call: the form is replaced in place and the timeline reloads itself.
    page.fill("#id_summary", "Called about order A-5567")
    page.click("#interaction-form button[type=submit]")
    page.locator("#interaction-form .alert-success").wait_for()
    page.locator("#timeline", has_text="Called about order A-5567").wait_for()

    # A refused form shows its errors in place (422 is swapped).
    page.click("#interaction-form button[type=submit]")
    page.locator("#interaction-form .invalid-feedback").wait_for()

    # The customer list filters as you type and keeps the filter in the address bar.
    page.goto(f"{live_server.url}/customers/")
    page.fill("#id_q", "beck")
    page.locator("#customer-results", has_text="Thomas Becker").wait_for()
    page.wait_for_function("() => !document.querySelector('#customer-results').innerText.includes('Justine')")
    assert "q=beck" in page.url

    assert csp_violations == []
