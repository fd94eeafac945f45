"""POST /api/tickets/{id}/reply|assign|status|notes/ and /api/messages/{id}/retry/."""

from __future__ import annotations

import pytest
from django.core import mail
from rest_framework.test import APIClient

from inbox.models import Channel, Event, Identity, Message, Ticket
from tests.factories import IdentityFactory, MessageFactory, TicketFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(queue):
    """A web-form ticket from a customer who left an email address."""
    ticket = TicketFactory(queue=queue, origin_channel=Channel.WEB, subject="Data charges")
    IdentityFactory(customer=ticket.customer, kind=Identity.Kind.EMAIL, value="mila@example.org")
    MessageFactory(ticket=ticket, channel=Channel.WEB, body="My bill shows data charges I did not make.")
    return ticket


def url(ticket: Ticket, verb: str) -> str:
    return f"/api/tickets/{ticket.pk}/{verb}/"


def outbound(ticket: Ticket):
    return ticket.messages.filter(direction=Message.Direction.OUT)


# --- reply ---------------------------------------------------------------------------------


def test_reply_stores_a_queued_message_and_delivers_it_after_commit(
    api_as, agent, ticket, django_capture_on_commit_callbacks
):
    client = api_as(agent)

    # When the agent replies, capturing what waits for commit
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url(ticket, "reply"), {"body": "Hi Mila, we've refunded it."}, format="json")

    # Then the reply is stored queued, and nothing was sent inside the request's transaction
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "queued"
    assert body["direction"] == "out"
    assert body["channel"] == "web"
    assert body["author"] == {"id": agent.pk, "name": "Sam Visser"}
    assert body["body"] == "Hi Mila, we've refunded it."
    assert Message.objects.get(pk=body["id"]).status == Message.Status.QUEUED
    assert mail.outbox == []
    assert callbacks  # broadcast + delivery wait for commit

    # When the commit callbacks run (as they do after a real commit)
    for callback in callbacks:
        callback()

    # Then the web reply went out by email and is marked sent
    message = Message.objects.get(pk=body["id"])
    assert message.status == Message.Status.SENT
    assert message.sent_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["mila@example.org"]
    assert "Hi Mila, we've refunded it." in mail.outbox[0].body
    assert ticket.reference in mail.outbox[0].subject


def test_reply_then_delivery_seen_through_the_api(api_as, agent, ticket, django_capture_on_commit_callbacks):
    client = api_as(agent)

    with django_capture_on_commit_callbacks(execute=True):
        reply = client.post(url(ticket, "reply"), {"body": "Hi Mila"}, format="json").json()

    messages = client.get(f"/api/tickets/{ticket.pk}/").json()["messages"]
    assert messages[-1]["id"] == reply["id"]
    assert messages[-1]["status"] == "sent"
    assert messages[-1]["sent_at"]


def test_reply_on_a_channel_that_cannot_send_is_400_and_nothing_stored(api_as, agent, ticket):
    # No Twilio credentials in the test settings: SMS cannot send.
    response = api_as(agent).post(url(ticket, "reply"), {"body": "Hi", "channel": "sms"}, format="json")

    assert response.status_code == 400
    assert "isn't set up for sending" in response.json()["detail"]
    assert not ticket.messages.filter(direction="out").exists()


def test_stale_reply_is_409_with_the_newer_messages_and_nothing_stored(api_as, agent, ticket):
    # Given the agent loaded the ticket, then the customer wrote again
    seen = ticket.messages.get()
    newer = MessageFactory(ticket=ticket, channel=Channel.WEB, body="Also, my <i>roaming</i> is off?")

    # When the agent sends the reply they wrote before that
    response = api_as(agent).post(
        url(ticket, "reply"), {"body": "Hi Mila, refunded.", "last_seen_message_id": seen.pk}, format="json"
    )

    # Then it is refused with what they missed, and no reply was stored
    assert response.status_code == 409
    body = response.json()
    assert "New messages arrived" in body["detail"]
    assert [m["id"] for m in body["newer_messages"]] == [newer.pk]
    assert body["newer_messages"][0]["body"] == "Also, my <i>roaming</i> is off?"
    assert outbound(ticket).count() == 0
    assert not Event.objects.filter(ticket=ticket, type=Event.Type.MESSAGE_CREATED).exists()


def test_reply_having_seen_the_latest_message_goes_through(api_as, agent, ticket):
    latest = ticket.messages.get()

    response = api_as(agent).post(
        url(ticket, "reply"), {"body": "Hi Mila", "last_seen_message_id": latest.pk}, format="json"
    )

    assert response.status_code == 201
    assert outbound(ticket).count() == 1


@pytest.mark.parametrize("text", ["", "   \n  "])
def test_empty_reply_is_400_and_nothing_stored(api_as, agent, ticket, text):
    response = api_as(agent).post(url(ticket, "reply"), {"body": text}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "A reply needs some text."}
    assert outbound(ticket).count() == 0


def test_reply_without_body_is_400(api_as, agent, ticket):
    response = api_as(agent).post(url(ticket, "reply"), {}, format="json")

    assert response.status_code == 400
    assert "body" in response.json()["errors"]
    assert "required" in response.json()["detail"]
    assert outbound(ticket).count() == 0


def test_reply_on_an_unknown_channel_is_400_listing_the_channels(api_as, agent, ticket):
    response = api_as(agent).post(url(ticket, "reply"), {"body": "Hi", "channel": "fax"}, format="json")

    assert response.status_code == 400
    assert "web, email, phone, sms, x" in response.json()["detail"]
    assert outbound(ticket).count() == 0


def test_overlong_reply_is_400(api_as, agent, ticket, settings):
    response = api_as(agent).post(
        url(ticket, "reply"), {"body": "x" * (settings.UNISONO_MAX_MESSAGE_LENGTH + 1)}, format="json"
    )

    assert response.status_code == 400
    assert "Keep it under" in response.json()["detail"]
    assert outbound(ticket).count() == 0


# --- assign ----------------------------------------------------------------------------------


def test_assign_to_me(api_as, agent, ticket):
    response = api_as(agent).post(url(ticket, "assign"), {"assignee": "me"}, format="json")

    assert response.status_code == 200
    assert response.json()["assignee"] == {"id": agent.pk, "name": "Sam Visser"}
    ticket.refresh_from_db()
    assert ticket.assignee == agent


def test_assign_to_a_colleague_by_id_then_unassign(api_as, agent, queue, ticket):
    colleague = UserFactory(username="kim", first_name="Kim", last_name="", queues=[queue])
    client = api_as(agent)

    assigned = client.post(url(ticket, "assign"), {"assignee": colleague.pk}, format="json")
    unassigned = client.post(url(ticket, "assign"), {"assignee": None}, format="json")

    assert assigned.status_code == 200
    assert assigned.json()["assignee"] == {"id": colleague.pk, "name": "Kim"}
    assert unassigned.status_code == 200
    assert unassigned.json()["assignee"] is None
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_assign_to_a_user_outside_the_queue_is_400_with_a_clear_message(api_as, agent, outsider, ticket):
    response = api_as(agent).post(url(ticket, "assign"), {"assignee": outsider.pk}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"] == f"{outsider.get_full_name()} is not in the General queue."
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_assign_to_an_unknown_user_is_400(api_as, agent, ticket):
    response = api_as(agent).post(url(ticket, "assign"), {"assignee": 987654}, format="json")

    assert response.status_code == 400
    assert "no active user with id 987654" in response.json()["detail"]
    ticket.refresh_from_db()
    assert ticket.assignee is None


@pytest.mark.parametrize("payload", [{"assignee": "somebody"}, {"assignee": True}, {"assignee": 1.5}, {}])
def test_assign_with_a_malformed_assignee_is_400(api_as, agent, ticket, payload):
    response = api_as(agent).post(url(ticket, "assign"), payload, format="json")

    assert response.status_code == 400
    assert response.json()["detail"]
    ticket.refresh_from_db()
    assert ticket.assignee is None


# --- status --------------------------------------------------------------------------------


def test_set_status(api_as, agent, ticket):
    response = api_as(agent).post(url(ticket, "status"), {"status": "solved"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "solved"
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED
    assert ticket.solved_at is not None


def test_bad_status_is_400_listing_the_allowed_values(api_as, agent, ticket):
    response = api_as(agent).post(url(ticket, "status"), {"status": "done"}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"] == 'status: "done" is not a status; use one of new, open, pending, solved, closed.'
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


# --- notes ---------------------------------------------------------------------------------


def test_add_note(api_as, agent, ticket):
    response = api_as(agent).post(url(ticket, "notes"), {"body": "Customer called twice already."}, format="json")

    assert response.status_code == 201
    assert response.json()["direction"] == "note"
    assert ticket.messages.filter(direction=Message.Direction.NOTE, body="Customer called twice already.").exists()


def test_empty_note_is_400_and_nothing_stored(api_as, agent, ticket):
    response = api_as(agent).post(url(ticket, "notes"), {"body": "  "}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "A note needs some text."}
    assert not ticket.messages.filter(direction=Message.Direction.NOTE).exists()


# --- who may act -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verb", "payload"),
    [
        ("reply", {"body": "Hi"}),
        ("assign", {"assignee": "me"}),
        ("status", {"status": "closed"}),
        ("notes", {"body": "psst"}),
    ],
)
def test_agent_of_another_queue_gets_404_and_changes_nothing(api_as, outsider, ticket, verb, payload):
    events_before = Event.objects.count()

    response = api_as(outsider).post(url(ticket, verb), payload, format="json")

    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW
    assert ticket.assignee is None
    assert ticket.messages.count() == 1
    assert Event.objects.count() == events_before


def test_supervisor_may_act_on_any_queue(api_as, supervisor, other_queue):
    ticket = TicketFactory(queue=other_queue)

    response = api_as(supervisor).post(url(ticket, "status"), {"status": "pending"}, format="json")

    assert response.status_code == 200


@pytest.mark.parametrize("verb", ["reply", "assign", "status", "notes"])
def test_anonymous_cannot_act(api_as, ticket, verb):
    response = api_as(None).post(url(ticket, verb), {"body": "Hi", "status": "closed", "assignee": None}, format="json")

    assert response.status_code == 401
    assert ticket.messages.count() == 1


def test_session_post_without_csrf_token_is_refused(agent, ticket):
    # A browser session must not be usable cross-site: CSRF applies to the API too.
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(agent)

    response = client.post(url(ticket, "reply"), {"body": "Hi"}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert outbound(ticket).count() == 0


# --- retry ---------------------------------------------------------------------------------


def failed_reply(ticket: Ticket, author) -> Message:
    return MessageFactory(
        ticket=ticket, direction=Message.Direction.OUT, author=author, body="Hi Mila", provider_id=None,
        status=Message.Status.FAILED, status_detail="smtp: timed out",
    )


def test_retry_a_failed_message_sends_it_again(api_as, agent, ticket, django_capture_on_commit_callbacks):
    message = failed_reply(ticket, agent)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(agent).post(f"/api/messages/{message.pk}/retry/")

    assert response.status_code == 200
    assert response.json()["status"] == "queued"  # as stored; delivery runs after commit
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert len(mail.outbox) == 1


def test_retry_a_message_that_did_not_fail_is_400(api_as, agent, ticket):
    message = ticket.messages.get()

    response = api_as(agent).post(f"/api/messages/{message.pk}/retry/")

    assert response.status_code == 400
    assert response.json() == {"detail": "Only a failed or unconfirmed message can be sent again."}


def test_retry_on_another_queues_ticket_is_404(api_as, agent, outsider, ticket):
    message = failed_reply(ticket, agent)

    response = api_as(outsider).post(f"/api/messages/{message.pk}/retry/")

    assert response.status_code == 404
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
