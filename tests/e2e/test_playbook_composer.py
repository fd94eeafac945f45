"""The playbook in the composer: on a Dutch ticket it suggests the right
resolution, inserts the Dutch text with the customer's first name, and the
live tone check flags "Beste klant" as it is typed."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from channels_app.base import Sender
from inbox import actions
from inbox.models import Channel
from resolutions import actions as playbook_actions
from resolutions.playbook_file import parse
from tests.factories import inbound

STARTER = Path(__file__).resolve().parents[2] / "resolutions" / "playbooks" / "telecom.yaml"


def test_composer_suggests_inserts_dutch_text_and_flags_a_generic_salutation(signed_in_agent, live_url):
    # Given the starter playbook and a Dutch customer writing by email/web
    playbook_actions.playbook_import(topics=parse(STARTER.read_text(encoding="utf-8")), source=STARTER.name)
    received = actions.receive(
        inbound(
            channel=Channel.WEB, name="Annelies de Vries",
            body="Goedemiddag, op mijn rekening staan ineens heel hoge kosten voor mobiel internet. Hoe kan dat?",
            senders=(Sender(kind="email", value="annelies@example.org"),),
        )
    )
    ticket = received.message.ticket
    page = signed_in_agent.page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # When the agent opens the ticket
    page.goto(f"{live_url}/inbox/t/{ticket.pk}/")

    # Then the composer suggests the data overage refund first, with its policy
    first = page.locator(".playbook-suggestion").first
    expect(first.locator(".playbook-title")).to_have_text("Refund the data overage up to 50 EUR")
    expect(first.locator(".playbook-policy")).to_contain_text("once per 12 months")

    # When they insert it, the Dutch text with the customer's first name is in the reply box
    first.get_by_role("button", name="Insert").click()
    body = page.locator("#reply-form textarea[name=body]")
    expect(body).to_have_value(re.compile(r"^Hoi Annelies,\n\nDank je dat je de datakosten"))
    expect(page.locator(".tone-warning")).to_have_count(0)

    # When they type a generic salutation, the tone check flags it as they type
    body.fill("")
    body.press_sequentially("Beste klant, ")
    expect(page.locator(".tone-warning").first).to_contain_text("beste klant")
    assert not errors, errors
