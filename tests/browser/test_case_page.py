"""In a real browser, on the real ASGI stack (HTTP and WebSockets): an agent opens a case, replies
with Ctrl+Enter, adds an internal note with an @mention, sees a colleague arrive and type (live
presence), sees the colleague's reply appear in the thread, is warned when sending a reply that
crossed it, and sends anyway. No CSP violations.

Skipped where Chromium is not installed (``apt-get install chromium``). Set ``FRONTLINE_SHOTS``
to a directory to keep screenshots of each step.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from frontline.accounts.choices import Role
from frontline.accounts.tests.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory
from frontline.cases import services
from frontline.cases.models import Message
from frontline.cases.tests.factories import make_case
from frontline.customers.tests.factories import CustomerFactory

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = os.environ.get("FRONTLINE_SHOTS", "")

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Playwright's sync API runs an event loop in this thread; the ORM calls we make around it
# are ordinary synchronous test set-up.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def server() -> Iterator[str]:
    """The project's ASGI application under uvicorn in a thread: pages and WebSockets."""
    uvicorn = pytest.importorskip("uvicorn")
    from frontline.config.asgi import application

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def chromium() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
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
        yield browser
        browser.close()


def open_page(browser: Any, violations: list[str]) -> Any:
    """A page in a browser context of its own (its own session cookie)."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(10_000)

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            violations.append(message.text)

    page.on("console", on_console)
    return page


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_agent_replies_notes_sees_a_colleague_and_is_warned_of_a_crossing_reply(
    server: str, chromium: Any
) -> None:
    sara = UserFactory(username="sara", role=Role.AGENT, first_name="Sara", last_name="Lind")
    omar = UserFactory(username="omar", role=Role.TECH, first_name="Omar", last_name="Haddad")
    team = TeamFactory(name="Customer care")
    MembershipFactory(team=team, user=sara)
    MembershipFactory(team=team, user=omar)
    justine = CustomerFactory(
        first_name="Justine", last_name="Harrington", email="justine@example.com", phone="+1 555 123 4567",
        org="Acme Retail", tags=["vip"],
    )  # fmt: skip
    case = make_case(
        customer=justine,
        subject="Cannot log in to my account",
        body="I tried to log in five times and the password reset email never arrives.",
        channel="portal",
        priority="high",
        team_id=team.pk,
        assignee_id=sara.pk,
    )
    violations: list[str] = []
    page = open_page(chromium, violations)
    sign_in(page, server, "sara")

    # The case page: header, thread, composer, customer summary, SLA.
    page.goto(f"{server}{case.get_absolute_url()}")
    assert page.inner_text("h1") == "Cannot log in to my account"
    assert "Justine Harrington" in page.inner_text("#case-customer")
    assert "justine@example.com" in page.inner_text("#case-customer")
    assert "First response" in page.inner_text("#case-sla")
    shot(page, "01-case-opened")

    # A public reply, sent with Ctrl+Enter.
    page.click("#id_body")
    page.keyboard.type("Hello Justine, I have sent you a new reset link.")
    page.keyboard.press("Control+Enter")
    page.locator(".msg-reply.msg-outbound", has_text="I have sent you a new reset link").wait_for()
    assert page.input_value("#id_body") == ""

    # An internal note with an @mention: "n" switches the composer to a note.
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("n")
    assert page.is_checked("#mode-note")
    page.keyboard.type("@omar can you check the mail logs for this address?")
    shot(page, "02-writing-a-note")
    page.keyboard.press("Control+Enter")
    note = page.locator(".msg-note", has_text="check the mail logs")
    note.wait_for()
    assert note.locator(".mention").inner_text() == "@omar"

    # A colleague opens the case: both see each other; the colleague's typing shows.
    colleague = open_page(chromium, violations)
    sign_in(colleague, server, "omar")
    colleague.goto(f"{server}{case.get_absolute_url()}")
    # Two pages joining at once may both miss the other until the next heartbeat (15 s).
    page.locator("#case-presence", has_text="Omar is viewing").wait_for(timeout=25_000)
    colleague.locator("#case-presence", has_text="Sara is viewing").wait_for(timeout=25_000)
    colleague.click("#id_body")
    colleague.keyboard.type("Checking the mail logs now")
    page.locator("#case-presence", has_text="Omar is typing").wait_for()
    shot(page, "03-colleague-typing")

    # Sara starts a reply; meanwhile Omar's reply reaches the customer and Sara's thread.
    page.click("label[for=mode-reply]")
    page.click("#id_body")
    page.keyboard.type("Could you also check your spam folder?")
    colleague.keyboard.press("Control+Enter")
    colleague.locator(".msg-reply.msg-outbound", has_text="Checking the mail logs now").wait_for()
    page.locator(".msg-new", has_text="Checking the mail logs now").wait_for()

    # Sending now warns, shows the crossing reply, and keeps Sara's text.
    page.keyboard.press("Control+Enter")
    warning = page.locator("#stale-warning")
    warning.wait_for()
    assert "Checking the mail logs now" in warning.inner_text()
    assert page.input_value("#id_body") == "Could you also check your spam folder?"
    assert not Message.objects.filter(body="Could you also check your spam folder?").exists()
    shot(page, "04-stale-warning")

    # "Send anyway" sends it.
    page.click("#send-anyway")
    page.locator(".msg-reply.msg-outbound", has_text="check your spam folder").wait_for()
    assert Message.objects.filter(case=case, body="Could you also check your spam folder?").count() == 1
    assert page.locator("#stale-warning").count() == 0
    shot(page, "05-sent-anyway")

    assert violations == []


def test_actions_in_the_dialog_and_properties(server: str, chromium: Any) -> None:
    isabella = UserFactory(username="isabella", role=Role.LEAD, first_name="Isabella", last_name="Hernández")
    thomas = UserFactory(username="thomas", role=Role.AGENT, first_name="Thomas", last_name="Becker")
    team = TeamFactory(name="Escalations")
    MembershipFactory(team=team, user=isabella, is_lead=True)
    MembershipFactory(team=team, user=thomas)
    customer = CustomerFactory(first_name="Justine", last_name="Harrington", org="Acme Retail")
    case = make_case(customer=customer, subject="Shirt worn out after one week", team_id=team.pk)
    services.message_reply(case_id=case.pk, by=thomas, body="Could you send a photo of the seam?")
    services.message_receive_on_case(case_id=case.pk, body="Here it is, the seam is open.", channel="email")
    violations: list[str] = []
    page = open_page(chromium, violations)
    sign_in(page, server, "isabella")
    page.goto(f"{server}{case.get_absolute_url()}")

    # Take the case.
    page.click("#take-case")
    page.locator("#case-header", has_text="Isabella Hernández").wait_for()

    # Log a call in the dialog: a refused duration shows the error in place, then it is logged.
    page.click("#action-call")
    page.locator("#case-modal.show #case-action-form").wait_for()
    page.select_option("#id_direction", "outbound")
    page.fill("#id_duration", "twelve")
    page.fill("#id_summary", "Offered a replacement shirt; customer accepted.")
    page.click("#case-action-form button[type=submit]")
    page.locator("#case-action-form .invalid-feedback").wait_for()
    shot(page, "06-call-dialog-error")
    page.fill("#id_duration", "12:30")
    page.click("#case-action-form button[type=submit]")
    page.locator(".msg-call", has_text="Offered a replacement shirt").wait_for()
    page.locator("#case-modal.show").wait_for(state="detached")

    # Properties: priority and tags, saved in place; the header follows.
    page.select_option("#id_priority", "urgent")
    page.fill("#id_tags", "replacement, quality")
    page.click("#properties-form button[type=submit]")
    page.locator("#case-header", has_text="Urgent").wait_for()
    page.locator("#case-header", has_text="replacement").wait_for()
    shot(page, "07-after-actions")

    # The history tab lists the audit entries and SLA events.
    page.click("#tab-history")
    page.locator("#pane-history.show #case-history", has_text="case.call_logged").wait_for()
    page.wait_for_timeout(300)  # the tab fades in
    shot(page, "08-history")
    # It loads when opened, and reloads in place when the case changes while it is open.
    assert page.locator("#case-history", has_text="urgent → high").count() == 0
    page.select_option("#id_priority", "high")
    page.click("#properties-form button[type=submit]")
    page.locator("#pane-history.show #case-history", has_text="urgent → high").wait_for()
    page.click("#tab-conversation")

    # Merge into another case of the customer: preview side by side, confirm, land on the survivor.
    survivor = make_case(customer=customer, subject="Replacement shirt still not shipped")
    page.click("#action-merge")
    page.locator("#case-modal.show #id_other").fill(survivor.reference)
    page.click("#case-action-form button[type=submit]")
    page.locator(".merge-preview", has_text="Replacement shirt still not shipped").wait_for()
    shot(page, "09-merge-preview")
    page.click("#case-action-form button[type=submit]")
    page.wait_for_url(f"{server}{survivor.get_absolute_url()}")
    page.locator(".msg-call", has_text="Offered a replacement shirt").wait_for()
    assert f"#{case.reference} was merged into this case." in page.inner_text("main")
    shot(page, "10-survivor")

    assert violations == []
