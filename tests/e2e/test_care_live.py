"""The care loop in a browser: a ticket about to breach turns urgent in an
agent's open list without a reload; the customer rates our help from their link."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from care.models import CsatSurvey
from channels_app.base import Sender
from channels_app.webform.links import customer_ticket_path
from inbox import actions
from inbox.models import Ticket
from tests.factories import SupervisorFactory, UserFactory, inbound

LIVE_WITHIN_MS = 3000


def customer_writes(body: str, *, email: str) -> Ticket:
    return actions.receive(
        inbound(channel="web", body=body, name="Anna de Vries", senders=(Sender(kind="email", value=email),))
    ).message.ticket


def sign_in(context, live_url: str, user, password: str) -> object:
    page = context.new_page()
    page.goto(f"{live_url}/accounts/login/")
    page.fill('[name="username"]', user.username)
    page.fill('[name="password"]', password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page


def test_a_ticket_about_to_breach_turns_urgent_and_rises_without_reload(signed_in_agent, new_context, live_url, agent_password):
    # Given an old ticket 20 minutes from its first-answer target (240 min) and a newer calm one
    old = customer_writes("Internet down since this morning", email="late@example.org")
    long_ago = timezone.now() - timedelta(minutes=220)
    Ticket.objects.filter(pk=old.pk).update(created_at=long_ago, updated_at=long_ago)
    calm = customer_writes("Question about my invoice", email="calm@example.org")
    page = signed_in_agent.page
    page.goto(f"{live_url}/inbox/")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.evaluate("window.__notReloaded = true")
    rows = page.locator("#ticket-rows tr.ticket-row")
    band = page.locator("#urgent-rows")
    expect(rows.first).to_have_attribute("data-ticket", str(calm.pk))
    expect(rows.nth(1)).to_have_attribute("data-ticket", str(old.pk))
    expect(page.locator(f'#ticket-row-{old.pk}')).not_to_have_class(re.compile("sla-"))
    expect(band).to_be_hidden()

    # When the SLA check runs on the server (a supervisor's "Check SLAs now"; beat does the same every minute)
    boss = SupervisorFactory(username="ingrid")
    boss_page = sign_in(new_context(), live_url, boss, agent_password)
    boss_page.goto(f"{live_url}/supervisor/reports/")
    boss_page.get_by_role("button", name="Check SLAs now").click()
    expect(boss_page.locator(".flash")).to_contain_text("1 new alerts")

    # Then the agent's row turns visibly urgent and moves up into the urgent band, and an alert shows — no reload
    row = page.locator(f"#ticket-row-{old.pk}")
    expect(row).to_have_class(re.compile(r"\bsla-at-risk\b"), timeout=LIVE_WITHIN_MS)
    expect(band).to_be_visible()
    expect(band).to_contain_text("Urgent")
    expect(band.locator("tr.ticket-row").first).to_have_attribute("data-ticket", str(old.pk))
    expect(page.locator(f"#ticket-rows #ticket-row-{old.pk}")).to_have_count(0)
    expect(rows).to_have_count(1)
    background = row.evaluate("row => getComputedStyle(row).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent", "rgb(255, 255, 255)")
    expect(page.locator("#live-banners .banner.sla")).to_contain_text(f"{old.reference} is about to miss its first-answer target")
    assert page.evaluate("window.__notReloaded === true"), "the page was reloaded"

    # And a reload agrees: the server puts it in the band too
    page.reload()
    expect(page.locator("#urgent-rows tr.ticket-row").first).to_have_attribute("data-ticket", str(old.pk))


def test_customer_rates_our_help_from_their_link(page, live_url):
    # Given a solved web ticket
    agent = UserFactory(username="sam2")
    ticket = customer_writes("Router keeps rebooting", email="anna@example.org")
    actions.set_status(ticket=ticket, status=Ticket.Status.SOLVED, by=agent)

    # When the customer opens their link and follows "Rate our help"
    page.goto(live_url + customer_ticket_path(ticket))
    page.get_by_role("link", name=re.compile("Rate our help")).click()
    expect(page.get_by_role("heading", name="How did we do?")).to_be_visible()
    # A submission without a rating is refused with a message
    page.get_by_role("button", name="Send my rating").click()
    expect(page.locator(".form-errors")).to_contain_text("Choose a rating from 1 to 5")
    page.get_by_label("4").check()
    page.fill("#csat-comment", "Fast and friendly")
    page.get_by_role("button", name="Send my rating").click()

    # Then the page thanks them and the rating is stored on the ticket
    expect(page.locator(".csat-thanks")).to_contain_text("4 out of 5")
    survey = CsatSurvey.objects.get(ticket=ticket)
    assert (survey.rating, survey.comment) == (4, "Fast and friendly")
