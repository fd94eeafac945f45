"""One ticket's page and its POST endpoints (reply, note, assign, status, retry)."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from channels_app.base import Sender
from inbox import actions
from inbox.models import Channel, Event, Identity, Message, Ticket
from tests.factories import (
    CustomerFactory,
    IdentityFactory,
    MessageFactory,
    QueueFactory,
    TicketFactory,
    UserFactory,
    inbound,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(queue):
    customer = CustomerFactory(name="Anna de Vries")
    IdentityFactory(customer=customer, kind=Identity.Kind.EMAIL, value="anna@example.org")
    IdentityFactory(customer=customer, kind=Identity.Kind.PHONE, value="+31612345678")
    ticket = TicketFactory(queue=queue, customer=customer, subject="Data charges", origin_channel=Channel.WEB)
    MessageFactory(ticket=ticket, channel=Channel.WEB, body="My bill shows data charges I did not make.")
    return ticket


def page_url(ticket: Ticket) -> str:
    return reverse("inbox:ticket", args=[ticket.pk])


def flashes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def snapshot(ticket: Ticket) -> tuple:
    ticket.refresh_from_db()
    return (
        ticket.status,
        ticket.assignee_id,
        ticket.updated_at,
        list(Message.objects.filter(ticket=ticket).values_list("id", "status")),
        Event.objects.count(),
    )


# --- reading -------------------------------------------------------------------------


def test_page_shows_header_thread_and_forms(client, agent, ticket):
    client.force_login(agent)

    response = client.get(page_url(ticket))

    assert response.status_code == 200
    content = response.content.decode()
    assert ticket.reference in content
    assert "Data charges" in content
    assert 'class="badge new"' in content
    assert "Normal" in content and "General" in content and "Unassigned" in content
    assert "My bill shows data charges I did not make." in content
    assert f'action="{reverse("inbox:reply", args=[ticket.pk])}"' in content
    assert f'action="{reverse("inbox:note", args=[ticket.pk])}"' in content
    assert "Assign to me" in content
    assert 'name="status"' in content


def test_outbound_shows_delivery_status_and_failed_one_has_reason_and_retry(client, agent, ticket):
    sent = MessageFactory(ticket=ticket, direction="out", author=agent, status="sent", body="We refunded it.")
    failed = MessageFactory(
        ticket=ticket, direction="out", author=agent, status="failed", status_detail="21211: invalid 'To' number",
        body="Are you still there?",
    )
    client.force_login(agent)

    content = client.get(page_url(ticket)).content.decode()

    sent_item = re.search(rf'<li class="message out" id="message-{sent.pk}".*?</li>', content, re.S).group(0)
    failed_item = re.search(rf'<li class="message out" id="message-{failed.pk}".*?</li>', content, re.S).group(0)
    assert 'class="badge delivery sent"' in sent_item and "Retry" not in sent_item
    assert 'class="badge delivery failed"' in failed_item
    assert "21211: invalid &#x27;To&#x27; number" in failed_item
    assert reverse("inbox:retry", args=[ticket.pk, failed.pk]) in failed_item
    assert "Retry" in failed_item


def test_internal_note_is_marked_as_such(client, agent, ticket):
    note = MessageFactory(ticket=ticket, direction="note", author=agent, body="Called billing, refund approved.")
    client.force_login(agent)

    content = client.get(page_url(ticket)).content.decode()

    item = re.search(rf'<li class="message note" id="message-{note.pk}".*?</li>', content, re.S).group(0)
    assert "internal note" in item
    assert "Called billing, refund approved." in item


def _sms_configured(settings):
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM_NUMBER = "AC" + "0" * 32, "token", "+3197010000000"


def test_reply_form_defaults_to_the_latest_inbound_channel_and_remembers_the_newest_message(client, agent, ticket, settings):
    _sms_configured(settings)
    newest = MessageFactory(ticket=ticket, channel=Channel.SMS, body="Also by text: any news?")
    client.force_login(agent)

    response = client.get(page_url(ticket))

    form = response.context["reply_form"]
    assert form.initial == {"channel": "sms", "last_seen_message_id": newest.pk}
    assert '<option value="sms" selected>' in response.content.decode()
    assert f'name="last_seen_message_id" value="{newest.pk}"' in response.content.decode()


def test_when_the_customers_channel_cannot_send_the_reply_box_starts_on_their_email(client, agent, ticket, settings):
    # Anna texted last, but SMS has no credentials here: the first "Send" should reach her, by email
    settings.TWILIO_ACCOUNT_SID = ""
    MessageFactory(ticket=ticket, channel=Channel.SMS, body="Also by text: any news?")
    client.force_login(agent)

    response = client.get(page_url(ticket))

    assert response.context["reply_form"].initial["channel"] == "email"
    assert '<option value="email" selected>' in response.content.decode()
    # Without an email address there is nowhere better: SMS stays (and says it can't send)
    ticket.customer.identities.filter(kind="email").delete()
    assert client.get(page_url(ticket)).context["reply_form"].initial["channel"] == "sms"


def test_customer_panel_lists_identities_and_other_tickets_on_every_channel(client, agent, ticket, other_queue):
    by_sms = TicketFactory(customer=ticket.customer, queue=ticket.queue, origin_channel=Channel.SMS, subject="Text me")
    elsewhere = TicketFactory(customer=ticket.customer, queue=other_queue, origin_channel=Channel.X, subject="Tweeted")
    TicketFactory(queue=ticket.queue, subject="Someone else's problem")
    client.force_login(agent)

    response = client.get(page_url(ticket))

    content = response.content.decode()
    panel = re.search(r'<section class="card customer-panel".*?</section>', content, re.S).group(0)
    assert "anna@example.org" in panel and "+31612345678" in panel
    assert [other.ticket.pk for other in response.context["other_tickets"]] == [elsewhere.pk, by_sms.pk]
    assert f'href="{page_url(by_sms)}"' in panel  # visible: linked
    assert elsewhere.reference in panel and f'href="{page_url(elsewhere)}"' not in panel  # other queue: not linked
    assert "Text me" in panel and "SMS" in panel and "X" in panel
    assert "Someone else&#x27;s problem" not in panel


def test_supervisor_gets_links_to_every_other_ticket(client, supervisor, ticket, other_queue):
    elsewhere = TicketFactory(customer=ticket.customer, queue=other_queue, origin_channel=Channel.X)
    client.force_login(supervisor)

    response = client.get(page_url(ticket))

    assert f'href="{page_url(elsewhere)}"' in response.content.decode()


# --- access --------------------------------------------------------------------------


def test_anonymous_user_is_sent_to_sign_in(client, ticket):
    response = client.get(page_url(ticket))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_non_staff_user_gets_403(client, ticket):
    client.force_login(UserFactory(username="visitor"))

    assert client.get(page_url(ticket)).status_code == 403


def test_outsider_gets_404_on_the_page(client, outsider, ticket):
    client.force_login(outsider)

    assert client.get(page_url(ticket)).status_code == 404
    assert client.get(reverse("inbox:ticket", args=[ticket.pk + 999])).status_code == 404


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("reply", {"body": "Sneaky reply", "channel": "web"}),
        ("note", {"body": "Sneaky note"}),
        ("assign", {"assignee": "self"}),
        ("status", {"status": "closed"}),
        ("retry", {}),
    ],
)
def test_outsider_gets_404_on_every_post_and_nothing_changes(client, outsider, ticket, name, data):
    failed = MessageFactory(ticket=ticket, direction="out", status="failed", body="Not delivered")
    if data.get("assignee") == "self":
        data = {"assignee": outsider.pk}
    args = [ticket.pk, failed.pk] if name == "retry" else [ticket.pk]
    before = snapshot(ticket)
    client.force_login(outsider)

    response = client.post(reverse(f"inbox:{name}", args=args), data)

    assert response.status_code == 404
    assert snapshot(ticket) == before


def test_non_staff_user_gets_403_on_posts_and_nothing_changes(client, ticket):
    before = snapshot(ticket)
    client.force_login(UserFactory(username="visitor"))

    response = client.post(reverse("inbox:reply", args=[ticket.pk]), {"body": "hi", "channel": "web"})

    assert response.status_code == 403
    assert snapshot(ticket) == before


def test_post_endpoints_refuse_get(client, agent, ticket):
    client.force_login(agent)

    assert client.get(reverse("inbox:reply", args=[ticket.pk])).status_code == 405


# --- reply ---------------------------------------------------------------------------


def test_reply_stores_a_queued_outbound_message_and_redirects_back(client, agent, ticket):
    last_seen = ticket.messages.last().pk
    client.force_login(agent)

    response = client.post(
        reverse("inbox:reply", args=[ticket.pk]),
        {"body": "Hi Anna, we refunded the charges.", "channel": "email", "last_seen_message_id": last_seen},
    )

    reply = Message.objects.get(ticket=ticket, direction=Message.Direction.OUT)
    assert response.status_code == 302
    assert response["Location"] == f"{page_url(ticket)}#message-{reply.pk}"
    assert reply.status == Message.Status.QUEUED  # delivery runs after commit
    assert reply.channel == "email"
    assert reply.author == agent
    assert reply.body == "Hi Anna, we refunded the charges."
    assert flashes(response) == ["Reply queued for sending by Email."]
    assert Event.objects.filter(ticket=ticket, type=Event.Type.MESSAGE_CREATED).exists()
    followed = client.get(response["Location"])
    assert b"Reply queued for sending by Email." in followed.content
    assert b"Hi Anna, we refunded the charges." in followed.content


def test_line_breaks_from_the_browser_are_stored_as_plain_newlines(client, agent, ticket):
    # A textarea's line breaks arrive as CRLF; an SMS or a post on X would count each CR as a character
    client.force_login(agent)

    client.post(reverse("inbox:reply", args=[ticket.pk]),
                {"body": "Hi Anna,\r\n\r\nwe refunded the charges.\r\nSam", "channel": "email", "last_seen_message_id": ticket.messages.last().pk})

    assert Message.objects.get(ticket=ticket, direction=Message.Direction.OUT).body == "Hi Anna,\n\nwe refunded the charges.\nSam"


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_empty_reply_is_an_error_and_nothing_is_stored(client, agent, ticket, body):
    before = snapshot(ticket)
    client.force_login(agent)

    response = client.post(reverse("inbox:reply", args=[ticket.pk]), {"body": body, "channel": "web"})

    assert response.status_code == 400
    assert b"Write a reply before sending." in response.content
    assert snapshot(ticket) == before


def test_reply_on_an_unknown_channel_is_an_error_and_nothing_is_stored(client, agent, ticket):
    before = snapshot(ticket)
    client.force_login(agent)

    response = client.post(reverse("inbox:reply", args=[ticket.pk]), {"body": "Hello", "channel": "pigeon"})

    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    assert snapshot(ticket) == before


def test_stale_reply_is_a_409_that_keeps_the_draft_and_highlights_the_new_message(client, agent, ticket):
    seen = ticket.messages.last().pk
    # The customer writes again (through the real ingest) while the agent types.
    newer = actions.receive(
        inbound(
            channel="web", body="Actually it is fine now, never mind!", ticket_reference=ticket.reference,
            senders=(Sender(kind="email", value="anna@example.org"),),
        )
    ).message
    assert newer.ticket_id == ticket.pk
    before = snapshot(ticket)
    client.force_login(agent)

    response = client.post(
        reverse("inbox:reply", args=[ticket.pk]),
        {"body": "Hi Anna, I refunded <50 EUR> for you.", "channel": "web", "last_seen_message_id": seen},
    )

    assert response.status_code == 409
    content = response.content.decode()
    assert "New messages arrived while you were writing — read them, then send" in content
    assert "Hi Anna, I refunded &lt;50 EUR&gt; for you.</textarea>" in content
    assert f'<li class="message in newer" id="message-{newer.pk}"' in content
    assert "Actually it is fine now, never mind!" in content
    # The form now remembers the newest message, so sending after reading goes through.
    assert f'name="last_seen_message_id" value="{newer.pk}"' in content
    assert snapshot(ticket) == before


def test_reply_after_reading_the_newer_message_goes_through(client, agent, ticket):
    newer = MessageFactory(ticket=ticket, channel=Channel.WEB, body="One more thing")
    client.force_login(agent)

    response = client.post(
        reverse("inbox:reply", args=[ticket.pk]),
        {"body": "Noted!", "channel": "web", "last_seen_message_id": newer.pk},
    )

    assert response.status_code == 302
    assert Message.objects.filter(ticket=ticket, direction="out", body="Noted!").exists()


# --- note, assign, status, retry ------------------------------------------------------


def test_note_is_stored_with_an_event_and_redirects(client, agent, ticket):
    client.force_login(agent)

    response = client.post(reverse("inbox:note", args=[ticket.pk]), {"body": "VIP customer, be quick."})

    note = Message.objects.get(ticket=ticket, direction=Message.Direction.NOTE)
    assert response.status_code == 302
    assert note.body == "VIP customer, be quick." and note.author == agent
    assert list(Event.objects.filter(ticket=ticket).values_list("type", flat=True)) == ["message.created"]
    assert flashes(response) == ["Internal note added."]


def test_empty_note_is_an_error_and_nothing_is_stored(client, agent, ticket):
    before = snapshot(ticket)
    client.force_login(agent)

    response = client.post(reverse("inbox:note", args=[ticket.pk]), {"body": " "})

    assert response.status_code == 400
    assert b"Write the note before adding it." in response.content
    assert snapshot(ticket) == before


def test_assign_to_me(client, agent, ticket):
    client.force_login(agent)

    response = client.post(reverse("inbox:assign", args=[ticket.pk]), {"assignee": agent.pk})

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert ticket.assignee == agent
    event = Event.objects.filter(ticket=ticket, type=Event.Type.TICKET_UPDATED).get()
    assert event.payload["assignee"] == agent.pk and event.payload["by"] == agent.pk
    assert flashes(response) == [f"{ticket.reference} is assigned to you."]


def test_assign_to_a_queue_colleague_and_unassign(client, agent, ticket, queue):
    colleague = UserFactory(username="kim", first_name="Kim", last_name="de Boer", queues=[queue])
    client.force_login(agent)

    page = client.get(page_url(ticket)).content.decode()
    assert f'<option value="{colleague.pk}">Kim de Boer</option>' in page

    response = client.post(reverse("inbox:assign", args=[ticket.pk]), {"assignee": colleague.pk}, follow=True)
    ticket.refresh_from_db()
    assert ticket.assignee == colleague
    assert f"{ticket.reference} is assigned to Kim de Boer.".encode() in response.content

    response = client.post(reverse("inbox:assign", args=[ticket.pk]), {"assignee": ""})
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert flashes(response) == [f"{ticket.reference} is unassigned."]
    assert Event.objects.filter(ticket=ticket, type=Event.Type.TICKET_UPDATED).count() == 2


def test_assigning_someone_outside_the_queue_is_an_error_and_nothing_changes(client, agent, outsider, ticket):
    before = snapshot(ticket)
    client.force_login(agent)

    response = client.post(reverse("inbox:assign", args=[ticket.pk]), {"assignee": outsider.pk})

    assert response.status_code == 400
    assert b"Pick someone who works this ticket&#x27;s queue." in response.content
    assert snapshot(ticket) == before


def test_supervisor_can_assign_to_self_without_being_a_member(client, supervisor, ticket):
    client.force_login(supervisor)

    response = client.post(reverse("inbox:assign", args=[ticket.pk]), {"assignee": supervisor.pk})

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert ticket.assignee == supervisor


def test_status_change_writes_an_event_and_redirects(client, agent, ticket):
    client.force_login(agent)

    response = client.post(reverse("inbox:status", args=[ticket.pk]), {"status": "pending"})

    ticket.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == page_url(ticket)
    assert ticket.status == Ticket.Status.PENDING
    event = Event.objects.get(ticket=ticket, type=Event.Type.TICKET_UPDATED)
    assert event.payload["status"] == "pending" and event.payload["by"] == agent.pk
    assert flashes(response) == [f"{ticket.reference} is now pending."]


def test_unknown_status_is_an_error_and_nothing_changes(client, agent, ticket):
    before = snapshot(ticket)
    client.force_login(agent)

    response = client.post(reverse("inbox:status", args=[ticket.pk]), {"status": "exploded"})

    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    assert snapshot(ticket) == before


def test_retry_requeues_a_failed_message(client, agent, ticket):
    failed = MessageFactory(ticket=ticket, direction="out", status="failed", status_detail="timeout", body="Hello")
    client.force_login(agent)

    response = client.post(reverse("inbox:retry", args=[ticket.pk, failed.pk]))

    failed.refresh_from_db()
    assert response.status_code == 302
    assert failed.status == Message.Status.QUEUED and failed.status_detail == ""
    assert Event.objects.get(ticket=ticket, type=Event.Type.MESSAGE_STATUS).payload["status"] == "queued"
    assert flashes(response) == ["Sending the message again."]


def test_retrying_a_message_that_did_not_fail_is_a_400_with_the_reason(client, agent, ticket):
    sent = MessageFactory(ticket=ticket, direction="out", status="sent", body="Hello")
    before = snapshot(ticket)
    client.force_login(agent)

    response = client.post(reverse("inbox:retry", args=[ticket.pk, sent.pk]))

    assert response.status_code == 400
    assert b"Only a failed or unconfirmed message can be sent again." in response.content
    assert snapshot(ticket) == before


def test_retrying_a_message_of_another_ticket_is_a_404(client, agent, ticket, queue):
    other = MessageFactory(ticket=TicketFactory(queue=QueueFactory(slug="secret")), direction="out", status="failed")
    client.force_login(agent)

    response = client.post(reverse("inbox:retry", args=[ticket.pk, other.pk]))

    other.refresh_from_db()
    assert response.status_code == 404
    assert other.status == Message.Status.FAILED


# --- query budget ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_the_ticket_page_needs_at_most_eight_queries(client, ticket, queue, agent, supervisor, role, django_assert_max_num_queries):
    # Given a full page: the starter playbook (suggestions), a confirmed topic, a
    # longer thread, the customer's tickets elsewhere, several agents to assign to
    from pathlib import Path

    from resolutions import actions as playbook_actions
    from resolutions.models import Topic
    from resolutions.playbook_file import parse

    starter = Path(__file__).resolve().parents[2] / "resolutions" / "playbooks" / "telecom.yaml"
    playbook_actions.playbook_import(topics=parse(starter.read_text(encoding="utf-8")), source=starter.name)
    playbook_actions.topic_confirm(ticket=ticket, topic=Topic.objects.get(slug="data-overage"), by=agent)
    for number in range(5):
        MessageFactory(ticket=ticket, channel=Channel.SMS, body=f"Still waiting ({number})")
    for _ in range(3):
        TicketFactory(customer=ticket.customer, queue=QueueFactory())
        UserFactory(queues=[queue])
    actions.add_note(ticket=ticket, author=agent, body="Checked the usage log.")  # the newest event
    client.force_login(agent if role == "agent" else supervisor)
    client.get(page_url(ticket))  # a running server has its suggestion index built already

    # session (from the cache), user with role, queue ids (agents), ticket with
    # its SLA and the latest event id, thread, identities, other tickets,
    # playbook revision with the confirmed topic, callbacks, assignee choices
    with django_assert_max_num_queries(8):
        response = client.get(page_url(ticket))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Still waiting (4)" in html and "topic: data-overage</span>" in html
    assert re.search(r'data-last-event="(\d+)"', html).group(1) == str(Event.objects.latest("id").pk)
