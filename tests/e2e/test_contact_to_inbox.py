"""A customer's web-form message reaches the agent's inbox, shown as text."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from inbox.models import Ticket

PAYLOAD = '<script>alert("xss")</script><img src=x onerror=alert(1)>'


def test_contact_form_message_reaches_the_inbox_and_script_stays_text(
    page, new_context, live_url, agent_user, agent_password
):
    # Given a customer on the contact form (in their own browser)
    page.goto(f"{live_url}/contact/")
    page.fill('[name="name"]', "Anna de Vries")
    page.fill('[name="email"]', "anna@example.org")
    page.fill('[name="message"]', f"My router stopped working this morning. {PAYLOAD}")

    # When they send it
    page.get_by_role("button", name="Send").click()

    # Then the thanks page gives them a reference and their own link
    reference_element = page.locator(".ticket-reference")
    expect(reference_element).to_have_text(re.compile(r"^T-\d+$"))
    reference = reference_element.inner_text()
    expect(page.locator("a.customer-link")).to_have_attribute("href", re.compile(r"/t/[^/]+/$"))
    ticket_pk = Ticket.pk_from_reference(reference)

    # When an agent (a second browser) signs in through the login form
    agent_page = new_context().new_page()
    agent_dialogs: list[str] = []
    agent_page.on("dialog", lambda dialog: (agent_dialogs.append(dialog.message), dialog.dismiss()))
    agent_page.goto(f"{live_url}/accounts/login/?next=/inbox/")
    agent_page.fill('[name="username"]', agent_user.username)
    agent_page.fill('[name="password"]', agent_password)
    agent_page.get_by_role("button", name="Sign in").click()

    # Then the ticket is in their inbox, with its reference
    agent_page.wait_for_url(f"{live_url}/inbox/")
    row = agent_page.locator(f'tr.ticket-row[data-ticket="{ticket_pk}"]')
    expect(row).to_contain_text(reference)
    expect(row).to_contain_text("Anna de Vries")

    # When they open it
    row.get_by_role("link", name=reference).click()

    # Then the message reads as the customer typed it: markup as text, no script run
    agent_page.wait_for_url(f"{live_url}/inbox/t/{ticket_pk}/")
    expect(agent_page.locator("li.message.in .body")).to_have_text(f"My router stopped working this morning. {PAYLOAD}")
    expect(agent_page.locator("img[src='x']")).to_have_count(0)
    assert agent_dialogs == []


def test_a_signed_in_agent_lands_on_the_inbox_without_the_login_form(signed_in_agent, live_url):
    # Given an agent whose browser already holds a session (the fixture later tests build on)
    page = signed_in_agent.page

    # When they open the inbox
    page.goto(f"{live_url}/inbox/")

    # Then they are in, under their own name
    assert page.url == f"{live_url}/inbox/"
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    expect(page.get_by_text("Sam Visser")).to_be_visible()
