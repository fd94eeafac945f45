"""The live inbox: two agents, A (Sam) and B (Noor), in two browsers.

Changes that should reach a browser live go through the live server (a form,
an agent's click), because the server's channel layer is in its own process.
Changes made here, in the test process, are committed Event rows that no
socket hears about: exactly what a socket that was away catches up on resume.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from channels_app.base import Sender
from inbox import actions
from inbox.consumers import RESUME_LIMIT
from inbox.models import Event, Message, Ticket
from tests.factories import UserFactory, inbound

LIVE_WITHIN_MS = 2000


@pytest.fixture
def agent_b(agent_user):
    return UserFactory(username="noor", first_name="Noor", last_name="Bakker", queues=list(agent_user.inbox_queues.all()))


@pytest.fixture
def b_page(new_context, live_url, agent_b, agent_password):
    """Agent B, signed in through the sign-in form in a browser of their own."""
    page = new_context().new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    errors = script_errors(page)
    page.goto(f"{live_url}/accounts/login/?next=/inbox/")
    page.fill('[name="username"]', agent_b.username)
    page.fill('[name="password"]', agent_password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_url}/inbox/")
    yield page
    assert not dialogs, f"a JavaScript dialog opened: {dialogs}"
    assert not errors, f"script errors on B's page: {errors}"


@pytest.fixture
def a_page(signed_in_agent):
    errors = script_errors(signed_in_agent.page)
    yield signed_in_agent.page
    assert not errors, f"script errors on A's page: {errors}"


def script_errors(page) -> list[str]:
    """Uncaught exceptions of the page's scripts (live.js must not throw)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def customer_writes(body: str, *, ticket: Ticket | None = None, email: str = "anna@example.org") -> Message:
    """The customer writes on the web channel (stored here, in the test process)."""
    return actions.receive(
        inbound(
            channel="web", body=body, name="Anna de Vries", ticket_reference=ticket.reference if ticket else "",
            senders=(Sender(kind="email", value=email),),
        )
    ).message


def open_live(page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    # A marker that a reload would wipe: the page must change without one.
    page.evaluate("window.__notReloaded = true")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.__notReloaded === true"), "the page was reloaded"


def send_reply(page, text: str) -> None:
    page.locator("#reply-form textarea[name=body]").fill(text)
    page.locator("#reply-form").get_by_role("button", name="Send reply").click()


# --- (1) a new ticket appears in the list ------------------------------------------------


def test_web_form_message_appears_in_the_open_list_without_reload(page, a_page, live_url):
    # Given agent A on the inbox list, live, with no tickets
    open_live(a_page, f"{live_url}/inbox/")
    expect(a_page.locator('#status-counts li[data-status="active"] .count')).to_have_text("0")

    # When a customer sends the contact form (a third browser)
    page.goto(f"{live_url}/contact/")
    page.fill('[name="name"]', "Anna <b>de Vries</b>")
    page.fill('[name="email"]', "anna@example.org")
    page.fill('[name="message"]', "My router stopped working this morning.")
    page.get_by_role("button", name="Send").click()
    reference = page.locator(".ticket-reference").inner_text()
    ticket_pk = Ticket.pk_from_reference(reference)

    # Then the ticket shows up in A's list, at the top, with the counters updated
    row = a_page.locator(f'#ticket-rows tr.ticket-row[data-ticket="{ticket_pk}"]')
    expect(row).to_contain_text(reference, timeout=LIVE_WITHIN_MS)
    expect(row).to_contain_text("Anna <b>de Vries</b>")  # as text, not markup
    expect(a_page.locator("#ticket-rows tr").first).to_have_attribute("data-ticket", str(ticket_pk))
    expect(a_page.locator('#status-counts li[data-status="active"] .count')).to_have_text("1")
    expect(a_page.locator("#ticket-rows tr.empty")).to_have_count(0)
    assert_not_reloaded(a_page)


def test_list_moves_a_changed_ticket_to_the_top_and_drops_one_that_no_longer_matches(a_page, b_page, live_url):
    # Given two active tickets, the first one older
    first = customer_writes("First problem", email="one@example.org").ticket
    second = customer_writes("Second problem", email="two@example.org").ticket
    open_live(a_page, f"{live_url}/inbox/")
    rows = a_page.locator("#ticket-rows tr.ticket-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-ticket", str(second.pk))

    # When B answers the older one
    b_page.goto(f"{live_url}/inbox/t/{first.pk}/")
    send_reply(b_page, "Looking into it.")
    expect(b_page.locator("#reply-status")).to_have_text(re.compile("Reply queued"))

    # Then it moves to the top of A's list, now open
    expect(rows.first).to_have_attribute("data-ticket", str(first.pk), timeout=LIVE_WITHIN_MS)
    expect(rows.first.locator(".status")).to_have_text("Open")

    # When B marks it solved (the `c` shortcut)
    b_page.keyboard.press("c")
    b_page.wait_for_url(re.compile(rf"/inbox/t/{first.pk}/"))
    expect(b_page.locator("#ticket-header .badge")).to_have_text("Solved")

    # Then it leaves A's list of active tickets, and the counters follow
    expect(a_page.locator(f'#ticket-rows tr[data-ticket="{first.pk}"]')).to_have_count(0, timeout=LIVE_WITHIN_MS)
    expect(rows).to_have_count(1)
    expect(a_page.locator('#status-counts li[data-status="active"] .count')).to_have_text("1")
    expect(a_page.locator('#status-counts li[data-status="open"] .count')).to_have_text("0")
    assert_not_reloaded(a_page)


# --- (2) presence --------------------------------------------------------------------------


def test_colleague_opening_and_typing_on_the_ticket_shows_as_presence(a_page, b_page, live_url):
    ticket = customer_writes("Where is my refund?").ticket
    open_live(a_page, f"{live_url}/inbox/t/{ticket.pk}/")
    presence = a_page.locator("#presence")
    expect(presence).to_be_empty()

    # When B opens the same ticket
    open_live(b_page, f"{live_url}/inbox/t/{ticket.pk}/")

    # Then A sees that B is viewing it
    expect(presence).to_have_text("Noor Bakker is viewing", timeout=LIVE_WITHIN_MS)
    # And B, who came second, sees A at once
    expect(b_page.locator("#presence")).to_have_text("Sam Visser is viewing")

    # When B types a reply
    b_page.locator("#reply-form textarea[name=body]").press_sequentially("Hi Anna")

    # Then A sees B typing
    expect(presence).to_have_text("Noor Bakker is typing…", timeout=LIVE_WITHIN_MS)

    # When B leaves the ticket
    b_page.goto(f"{live_url}/inbox/")

    # Then B is gone from A's page
    expect(presence).to_be_empty(timeout=LIVE_WITHIN_MS)
    assert_not_reloaded(a_page)


# --- (3) a reply reaches the colleague's open ticket -------------------------------------


def test_reply_shows_up_on_the_colleagues_open_ticket(a_page, b_page, live_url):
    ticket = customer_writes("My bill is wrong.").ticket
    open_live(a_page, f"{live_url}/inbox/t/{ticket.pk}/")
    open_live(b_page, f"{live_url}/inbox/t/{ticket.pk}/")

    # When A replies
    send_reply(a_page, "Hi Anna, I <em>fixed</em> your bill.")

    # Then A's own page shows it (sent through fetch, no reload) and clears the draft
    reply = Message.objects.filter(ticket=ticket, direction="out")
    expect(a_page.locator("#reply-status")).to_have_text(re.compile("Reply queued for sending"))
    mine = a_page.locator("#thread li.message.out")
    expect(mine).to_have_count(1)
    expect(mine.locator(".body")).to_have_text("Hi Anna, I <em>fixed</em> your bill.")
    expect(mine).not_to_have_class(re.compile(r"\bnewer\b"))
    expect(a_page.locator("#reply-form textarea[name=body]")).to_have_value("")
    assert reply.count() == 1

    # And B sees it arrive, marked new, with its author, and the status in the header
    theirs = b_page.locator(f"#message-{reply.get().pk}")
    expect(theirs.locator(".body")).to_have_text("Hi Anna, I <em>fixed</em> your bill.", timeout=LIVE_WITHIN_MS)
    expect(theirs).to_have_class(re.compile(r"\bnewer\b"))
    expect(theirs.locator(".who")).to_have_text("Sam Visser")
    expect(b_page.locator("#ticket-header .badge")).to_have_text("Open")
    assert_not_reloaded(a_page)
    assert_not_reloaded(b_page)


# --- (4) the stale-reply guard still holds with live updates ------------------------------


def test_colleagues_reply_after_loading_triggers_the_409_and_keeps_the_draft(a_page, b_page, live_url):
    ticket = customer_writes("Can I get a refund?").ticket
    open_live(a_page, f"{live_url}/inbox/t/{ticket.pk}/")
    last_seen = a_page.locator("#reply-form input[name=last_seen_message_id]")
    seen_at_load = last_seen.input_value()
    open_live(b_page, f"{live_url}/inbox/t/{ticket.pk}/")

    # When B answers while A is writing
    a_page.locator("#reply-form textarea[name=body]").fill("Hi Anna, yes: refund on its way.")
    send_reply(b_page, "Hi Anna, we refunded 20 EUR.")
    b_reply = a_page.locator("#thread li.message.out")

    # Then A sees B's reply live, highlighted, but it does not count as read
    expect(b_reply).to_have_count(1, timeout=LIVE_WITHIN_MS)
    expect(b_reply).to_have_class(re.compile(r"\bnewer\b"))
    expect(b_reply.locator(".badge.new-arrival")).to_have_text("New")
    assert last_seen.input_value() == seen_at_load

    # When A sends the draft
    a_page.locator("#reply-form").get_by_role("button", name="Send reply").click()

    # Then the server refuses it (409): banner, draft kept, nothing sent by A
    expect(a_page.locator("#live-banners .banner.stale")).to_contain_text(
        "New messages arrived while you were writing — read them, then send"
    )
    expect(a_page.locator("#reply-form textarea[name=body]")).to_have_value("Hi Anna, yes: refund on its way.")
    assert not Message.objects.filter(ticket=ticket, direction="out", author__username="sam").exists()
    b_message = Message.objects.get(ticket=ticket, direction="out", author__username="noor")
    expect(last_seen).to_have_value(str(b_message.pk))
    expect(b_reply).to_have_count(1)  # shown once, not twice

    # When A, having read it, sends again
    a_page.locator("#reply-form textarea[name=body]").fill("Hi Anna, my colleague already refunded you.")
    a_page.locator("#reply-form").get_by_role("button", name="Send reply").click()

    # Then it goes through
    expect(a_page.locator("#reply-status")).to_have_text(re.compile("Reply queued for sending"))
    expect(a_page.locator("#live-banners .banner")).to_have_count(0)
    assert Message.objects.filter(ticket=ticket, direction="out", author__username="sam").count() == 1
    assert_not_reloaded(a_page)


# --- (5) a dropped socket catches up ------------------------------------------------------


def test_reconnecting_shows_the_indicator_and_goes_live_again(a_page, live_url):
    ticket = customer_writes("Hello?").ticket
    open_live(a_page, f"{live_url}/inbox/t/{ticket.pk}/")
    a_page.evaluate(
        """() => {
          window.__states = [];
          const status = document.getElementById('live-status');
          new MutationObserver(() => window.__states.push(status.dataset.state))
            .observe(status, {attributes: true, attributeFilter: ['data-state']});
        }"""
    )

    # When the socket drops
    a_page.evaluate("window.unisonoLive.disconnect()")

    # Then the indicator says so (on the socket's close event, a moment later),
    # and the client reconnects by itself (backoff with jitter: allow for a
    # loaded CI machine)
    a_page.wait_for_function("window.__states.includes('reconnecting')", timeout=5_000)
    expect(a_page.locator("#live-status")).to_have_attribute("data-state", "live", timeout=15_000)
    states = a_page.evaluate("window.__states")
    assert states[0] == "reconnecting" and states[-1] == "live"
    assert_not_reloaded(a_page)


def test_socket_cut_and_restored_brings_the_page_back_in_sync(a_page, b_page, live_url):
    ticket = customer_writes("Still no internet.").ticket
    open_live(a_page, f"{live_url}/inbox/t/{ticket.pk}/")
    status = a_page.locator("#live-status")

    # Given A's socket is down (and stays down)
    a_page.evaluate("window.unisonoLive.disconnect({reconnect: false})")
    expect(status).to_have_attribute("data-state", "offline")
    expect(status).to_have_text("offline")

    # When, meanwhile, B replies and marks the ticket solved, and the customer writes again
    b_page.goto(f"{live_url}/inbox/t/{ticket.pk}/")
    send_reply(b_page, "We reset your line, Anna.")
    expect(b_page.locator("#reply-status")).to_have_text(re.compile("Reply queued"))
    b_page.keyboard.press("c")
    expect(b_page.locator("#ticket-header .badge")).to_have_text("Solved")
    customer_message = customer_writes("It works again, thanks!", ticket=ticket)  # reopens it
    b_reply = Message.objects.get(ticket=ticket, direction="out")

    # Then A's page shows none of it yet
    expect(a_page.locator(f"#message-{b_reply.pk}")).to_have_count(0)

    # When the socket comes back
    a_page.evaluate("window.unisonoLive.connect()")

    # Then the indicator is live again and everything missed is on the page, in order
    expect(status).to_have_attribute("data-state", "live")
    expect(status).to_have_text("live")
    expect(a_page.locator(f"#message-{b_reply.pk} .body")).to_have_text("We reset your line, Anna.", timeout=LIVE_WITHIN_MS)
    expect(a_page.locator(f"#message-{customer_message.pk} .body")).to_have_text("It works again, thanks!")
    expect(a_page.locator("#thread li.message")).to_have_count(3)
    expect(a_page.locator("#ticket-header .badge")).to_have_text("Open")
    assert_not_reloaded(a_page)


def test_list_catches_up_on_many_missed_tickets_after_reconnect(a_page, live_url):
    # Given A on an empty list, with the socket down
    open_live(a_page, f"{live_url}/inbox/")
    a_page.evaluate("window.unisonoLive.disconnect({reconnect: false})")
    expect(a_page.locator("#live-status")).to_have_attribute("data-state", "offline")

    # When more tickets arrive than one row request renders (50)
    tickets = [customer_writes(f"Problem {n}", email=f"c{n}@example.org").ticket for n in range(55)]
    a_page.evaluate("window.unisonoLive.connect()")

    # Then all of them are on the list after the resume, newest first
    rows = a_page.locator("#ticket-rows tr.ticket-row")
    expect(rows).to_have_count(55, timeout=5000)
    expect(rows.first).to_have_attribute("data-ticket", str(tickets[-1].pk))
    expect(rows.last).to_have_attribute("data-ticket", str(tickets[0].pk))
    expect(a_page.locator('#status-counts li[data-status="active"] .count')).to_have_text("55")
    assert_not_reloaded(a_page)


def test_too_much_missed_reloads_the_page_and_keeps_the_draft(a_page, live_url):
    ticket = customer_writes("Is anyone there?").ticket
    open_live(a_page, f"{live_url}/inbox/t/{ticket.pk}/")
    a_page.locator("#reply-form textarea[name=body]").fill("Hi Anna, <half a thought>")

    # Given A's socket was away while more happened than a resume replays
    a_page.evaluate("window.unisonoLive.disconnect({reconnect: false})")
    expect(a_page.locator("#live-status")).to_have_attribute("data-state", "offline")
    payload = actions.ticket_payload(ticket)
    Event.objects.bulk_create(
        [Event(type=Event.Type.TICKET_UPDATED, ticket=ticket, queue_id=ticket.queue_id, payload=payload)] * (RESUME_LIMIT + 1)
    )

    # When it comes back
    a_page.evaluate("window.unisonoLive.connect()")

    # Then the server says "reload", the page reloads, and the draft survives it
    a_page.wait_for_function("window.__notReloaded === undefined")
    expect(a_page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(a_page.locator("#reply-form textarea[name=body]")).to_have_value("Hi Anna, <half a thought>")


# --- keyboard shortcuts -------------------------------------------------------------------


def test_keyboard_shortcuts_on_the_list_and_the_ticket(a_page, live_url):
    older = customer_writes("Older problem", email="one@example.org").ticket
    newer = customer_writes("Newer problem", email="two@example.org").ticket
    open_live(a_page, f"{live_url}/inbox/")
    rows = a_page.locator("#ticket-rows tr.ticket-row")
    help_overlay = a_page.locator("#shortcuts-help")

    # `?` opens the help, Esc closes it
    expect(help_overlay).to_be_hidden()
    a_page.keyboard.press("?")
    expect(help_overlay).to_be_visible()
    expect(help_overlay).to_contain_text("Next ticket")
    a_page.keyboard.press("Escape")
    expect(help_overlay).to_be_hidden()

    # j/k move the highlight; o opens the highlighted ticket
    a_page.keyboard.press("j")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bselected\b"))
    a_page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bselected\b"))
    expect(rows.nth(0)).not_to_have_class(re.compile(r"\bselected\b"))
    a_page.keyboard.press("k")
    a_page.keyboard.press("j")
    a_page.keyboard.press("o")
    a_page.wait_for_url(f"{live_url}/inbox/t/{older.pk}/")

    # On the ticket: a letter typed into the reply is text, not a shortcut
    reply = a_page.locator("#reply-form textarea[name=body]")
    a_page.keyboard.press("r")
    expect(reply).to_be_focused()
    a_page.keyboard.type("a c n")
    expect(reply).to_have_value("a c n")
    a_page.keyboard.press("Escape")
    expect(reply).not_to_be_focused()
    assert Ticket.objects.get(pk=older.pk).assignee_id is None

    # n focuses the note; a assigns to me; c marks solved
    a_page.keyboard.press("n")
    expect(a_page.locator("#note-form textarea")).to_be_focused()
    a_page.keyboard.press("Escape")
    a_page.keyboard.press("a")
    expect(a_page.locator("#ticket-header")).to_contain_text("Sam Visser")
    a_page.keyboard.press("c")
    expect(a_page.locator("#ticket-header .badge")).to_have_text("Solved")
    older.refresh_from_db()
    assert (older.assignee.username, older.status) == ("sam", "solved")
    assert Ticket.objects.get(pk=newer.pk).status == "new"

    # Enter opens from the list too
    a_page.goto(f"{live_url}/inbox/?status=all")
    a_page.keyboard.press("j")
    a_page.keyboard.press("Enter")
    a_page.wait_for_url(re.compile(r"/inbox/t/\d+/$"))
