"""GET /api/tickets/ and /api/tickets/{id}/: who sees what, keyset pages,
filters, row shape, bounded queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from inbox.models import Channel, Identity, Message, Ticket
from tests.factories import (
    CustomerFactory,
    IdentityFactory,
    MessageFactory,
    TicketFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/api/tickets/"


def detail_url(ticket: Ticket) -> str:
    return f"/api/tickets/{ticket.pk}/"


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def tickets_updated_in_order(count: int, **fields) -> list[Ticket]:
    """``count`` tickets, the first one most recently updated."""
    now = timezone.now()
    return [TicketFactory(updated_at=now - timedelta(minutes=i), **fields) for i in range(count)]


# --- who may use it ---------------------------------------------------------------------


def test_agent_lists_only_tickets_of_own_queues(api_as, agent, queue, other_queue):
    # Given a ticket in the agent's queue and one in a queue they do not work
    own = TicketFactory(queue=queue)
    TicketFactory(queue=other_queue)

    # When the agent lists tickets
    response = api_as(agent).get(LIST)

    # Then only their queue's ticket is there
    assert response.status_code == 200
    assert ids(response) == [own.pk]


def test_supervisor_lists_every_queue(api_as, supervisor, queue, other_queue):
    first, second = TicketFactory(queue=queue), TicketFactory(queue=other_queue)

    response = api_as(supervisor).get(LIST)

    assert response.status_code == 200
    assert set(ids(response)) == {first.pk, second.pk}


def test_token_authentication_works(agent, queue):
    # Given an integration holding the agent's API token (no session)
    ticket = TicketFactory(queue=queue)
    token = Token.objects.create(user=agent)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = client.get(LIST)

    assert response.status_code == 200
    assert ids(response) == [ticket.pk]


def test_wrong_token_is_refused(queue):
    TicketFactory(queue=queue)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.get(LIST)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "results" not in response.json()


@pytest.mark.parametrize("url", [LIST, "/api/tickets/1/", "/api/customers/"])
def test_anonymous_is_refused(api_as, queue, url):
    TicketFactory(queue=queue)

    response = api_as(None).get(url)

    assert response.status_code == 401
    assert "results" not in response.json()
    assert response.json()["detail"]


def test_signed_in_user_outside_every_queue_gets_403(api_as, queue):
    # Given a user who is neither in a queue nor a supervisor
    TicketFactory(queue=queue)
    stranger = UserFactory(username="visitor")

    response = api_as(stranger).get(LIST)

    assert response.status_code == 403
    assert "staff" in response.json()["detail"]


# --- the rows ----------------------------------------------------------------------------


def test_row_shape(api_as, agent, queue):
    customer = CustomerFactory(name="Mila de Vries")
    ticket = TicketFactory(
        queue=queue, customer=customer, assignee=agent, subject="Data charges", origin_channel=Channel.SMS,
        status=Ticket.Status.OPEN, priority=Ticket.Priority.HIGH,
    )

    row = api_as(agent).get(LIST).json()["results"][0]

    assert row == {
        "id": ticket.pk,
        "reference": f"T-{ticket.pk + 1000}",
        "subject": "Data charges",
        "status": "open",
        "priority": "high",
        "queue": {"id": queue.pk, "name": "General"},
        "assignee": {"id": agent.pk, "name": "Sam Visser"},
        "customer": {"id": customer.pk, "name": "Mila de Vries"},
        "origin_channel": "sms",
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def test_unassigned_row_has_null_assignee(api_as, agent, queue):
    TicketFactory(queue=queue, assignee=None)

    row = api_as(agent).get(LIST).json()["results"][0]

    assert row["assignee"] is None


def test_urgency_filter_lists_the_tickets_past_or_near_their_sla(api_as, agent, queue):
    from care import sla

    calm = TicketFactory(queue=queue)
    late = TicketFactory(queue=queue)
    soon = TicketFactory(queue=queue)
    sla.check_ticket(late.pk, now=late.created_at + timedelta(minutes=241))
    sla.check_ticket(soon.pk, now=soon.created_at + timedelta(minutes=215))
    client = api_as(agent)

    assert set(ids(client.get(LIST, {"urgency": "urgent"}))) == {late.pk, soon.pk}
    assert ids(client.get(LIST, {"urgency": "breached"})) == [late.pk]
    assert ids(client.get(LIST, {"urgency": "at_risk"})) == [soon.pk]
    assert calm.pk in ids(client.get(LIST))
    refused = client.get(LIST, {"urgency": "soon"})
    assert refused.status_code == 400 and '"soon" is not an urgency' in refused.json()["detail"]


# --- keyset pages --------------------------------------------------------------------------


def test_pages_follow_next_cursor_without_overlap(api_as, agent, queue):
    # Given five tickets, newest update first
    tickets = tickets_updated_in_order(5, queue=queue)
    client = api_as(agent)

    # When the agent reads pages of two
    first = client.get(LIST, {"page_size": 2})
    second = client.get(first.json()["next"])
    third = client.get(second.json()["next"])

    # Then the pages walk the list in order, each ticket exactly once
    assert first.json()["next"]
    assert ids(first) == [tickets[0].pk, tickets[1].pk]
    assert ids(second) == [tickets[2].pk, tickets[3].pk]
    assert not set(ids(first)) & set(ids(second))
    assert ids(third) == [tickets[4].pk]
    assert third.json()["next"] is None


def test_pages_are_keyed_on_updated_at_and_id_so_ties_are_neither_lost_nor_repeated(api_as, agent, queue):
    # Given tickets that share one updated_at (a bulk import)
    same_moment = timezone.now()
    tickets = [TicketFactory(queue=queue, updated_at=same_moment) for _ in range(5)]
    client = api_as(agent)

    seen: list[int] = []
    url, params = LIST, {"page_size": 2}
    while url:
        page = client.get(url, params).json()
        seen += [row["id"] for row in page["results"]]
        url, params = page["next"], None

    assert seen == sorted((t.pk for t in tickets), reverse=True)


def test_default_page_is_fifty(api_as, agent, queue):
    tickets_updated_in_order(51, queue=queue)

    response = api_as(agent).get(LIST)

    assert len(response.json()["results"]) == 50
    assert response.json()["next"]


def test_mangled_cursor_is_400(api_as, agent, queue):
    TicketFactory(queue=queue)

    response = api_as(agent).get(LIST, {"cursor": "not-a-cursor"})

    assert response.status_code == 400
    assert "not valid" in response.json()["detail"]


@pytest.mark.parametrize("page_size", ["0", "-1", "abc", "1000"])
def test_bad_page_size_is_400(api_as, agent, queue, page_size):
    response = api_as(agent).get(LIST, {"page_size": page_size})

    assert response.status_code == 400
    assert "1 to 200" in response.json()["detail"]


def test_list_queries_do_not_grow_with_the_number_of_tickets(api_as, agent, queue, django_assert_max_num_queries):
    # Given a baseline with a single ticket
    client = api_as(agent)
    TicketFactory(queue=queue, assignee=agent)
    with CaptureQueriesContext(connection) as baseline:
        assert client.get(LIST).status_code == 200

    # And then thirty more, with different customers and assignees
    colleague = UserFactory(username="kim", queues=[queue])
    for i in range(30):
        TicketFactory(queue=queue, assignee=(agent, colleague, None)[i % 3])

    # Then a page of all of them costs no more queries than one ticket did
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        response = client.get(LIST)
    assert len(response.json()["results"]) == 31


# --- filters -------------------------------------------------------------------------------


def test_filter_by_status(api_as, agent, queue):
    open_ticket = TicketFactory(queue=queue, status=Ticket.Status.OPEN)
    TicketFactory(queue=queue, status=Ticket.Status.CLOSED)

    response = api_as(agent).get(LIST, {"status": "open"})

    assert ids(response) == [open_ticket.pk]


def test_filter_active_leaves_out_solved_and_closed(api_as, agent, queue):
    active = {TicketFactory(queue=queue, status=status).pk for status in ("new", "open", "pending")}
    TicketFactory(queue=queue, status=Ticket.Status.SOLVED)
    TicketFactory(queue=queue, status=Ticket.Status.CLOSED)

    response = api_as(agent).get(LIST, {"status": "active"})

    assert set(ids(response)) == active


def test_filter_by_queue(api_as, supervisor, queue, other_queue):
    TicketFactory(queue=queue)
    billing = TicketFactory(queue=other_queue)

    response = api_as(supervisor).get(LIST, {"queue": other_queue.pk})

    assert ids(response) == [billing.pk]


def test_filter_by_a_queue_the_agent_does_not_work_shows_nothing(api_as, agent, queue, other_queue):
    TicketFactory(queue=other_queue)

    response = api_as(agent).get(LIST, {"queue": other_queue.pk})

    assert response.status_code == 200
    assert ids(response) == []


def test_filter_by_channel(api_as, agent, queue):
    TicketFactory(queue=queue, origin_channel=Channel.WEB)
    sms = TicketFactory(queue=queue, origin_channel=Channel.SMS)

    response = api_as(agent).get(LIST, {"channel": "sms"})

    assert ids(response) == [sms.pk]


def test_filter_by_assignee(api_as, agent, queue):
    colleague = UserFactory(username="kim", queues=[queue])
    mine = TicketFactory(queue=queue, assignee=agent)
    theirs = TicketFactory(queue=queue, assignee=colleague)
    nobodys = TicketFactory(queue=queue, assignee=None)
    client = api_as(agent)

    assert ids(client.get(LIST, {"assignee": "me"})) == [mine.pk]
    assert ids(client.get(LIST, {"assignee": "none"})) == [nobodys.pk]
    assert ids(client.get(LIST, {"assignee": str(colleague.pk)})) == [theirs.pk]


def test_empty_filter_values_mean_no_filter(api_as, agent, queue):
    ticket = TicketFactory(queue=queue)

    response = api_as(agent).get(LIST, {"status": "", "queue": "", "channel": "", "assignee": ""})

    assert response.status_code == 200
    assert ids(response) == [ticket.pk]


@pytest.mark.parametrize(
    ("param", "value", "hint"),
    [
        ("status", "archived", "new, open, pending, solved, closed, active"),
        ("channel", "fax", "web, email, phone, sms, x"),
        ("queue", "billing", "queue id"),
        ("assignee", "someone", '"me", "none" or a user id'),
    ],
)
def test_invalid_filter_is_400_saying_what_is_allowed(api_as, agent, queue, param, value, hint):
    TicketFactory(queue=queue)

    response = api_as(agent).get(LIST, {param: value})

    assert response.status_code == 400
    body = response.json()
    assert hint in body["detail"]
    assert param in body["errors"]
    assert "results" not in body


# --- detail --------------------------------------------------------------------------------


def test_detail_has_messages_and_customer_identities(api_as, agent, queue):
    # Given a ticket with a customer message, an agent reply and a note
    customer = CustomerFactory(name="Mila de Vries")
    IdentityFactory(customer=customer, kind=Identity.Kind.EMAIL, value="mila@example.org")
    IdentityFactory(customer=customer, kind=Identity.Kind.PHONE, value="+31612345678")
    ticket = TicketFactory(queue=queue, customer=customer)
    inbound = MessageFactory(ticket=ticket, body="<b>Help</b> my bill")
    reply = MessageFactory(
        ticket=ticket, direction=Message.Direction.OUT, author=agent, body="Hi Mila, sorted.",
        status=Message.Status.SENT, provider_id=None, sent_at=timezone.now(),
    )

    # When the agent opens it
    response = api_as(agent).get(detail_url(ticket))

    # Then the thread and the customer's identities are there, body verbatim
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == ticket.reference
    assert [m["id"] for m in body["messages"]] == [inbound.pk, reply.pk]
    assert body["messages"][0]["body"] == "<b>Help</b> my bill"
    assert body["messages"][0]["author"] is None
    assert body["messages"][0]["direction"] == "in"
    assert body["messages"][1]["author"] == {"id": agent.pk, "name": "Sam Visser"}
    assert body["messages"][1]["status"] == "sent"
    assert body["messages"][1]["sent_at"]
    assert set(body["messages"][1]) == {
        "id", "direction", "channel", "author", "body", "status", "status_detail", "created_at", "sent_at",
    }
    assert body["customer"]["name"] == "Mila de Vries"
    assert {(i["kind"], i["value"]) for i in body["customer"]["identities"]} == {
        ("email", "mila@example.org"),
        ("phone", "+31612345678"),
    }


def test_detail_of_another_queues_ticket_is_404(api_as, outsider, queue):
    ticket = TicketFactory(queue=queue)

    response = api_as(outsider).get(detail_url(ticket))

    assert response.status_code == 404


def test_detail_of_missing_ticket_is_404(api_as, agent, queue):
    response = api_as(agent).get("/api/tickets/987654/")

    assert response.status_code == 404


def test_supervisor_sees_any_ticket_detail(api_as, supervisor, other_queue):
    ticket = TicketFactory(queue=other_queue)

    response = api_as(supervisor).get(detail_url(ticket))

    assert response.status_code == 200
    assert response.json()["queue"] == {"id": other_queue.pk, "name": "Billing"}


def test_detail_queries_do_not_grow_with_the_number_of_messages(api_as, agent, queue, django_assert_max_num_queries):
    client = api_as(agent)
    ticket = TicketFactory(queue=queue)
    IdentityFactory(customer=ticket.customer)
    MessageFactory(ticket=ticket)
    with CaptureQueriesContext(connection) as baseline:
        assert client.get(detail_url(ticket)).status_code == 200

    colleague = UserFactory(username="kim", queues=[queue])
    for i in range(20):
        MessageFactory(ticket=ticket, direction=Message.Direction.OUT, author=(agent, colleague)[i % 2], provider_id=None)
    IdentityFactory(customer=ticket.customer, kind=Identity.Kind.PHONE, value="+31611111111")

    with django_assert_max_num_queries(len(baseline.captured_queries)):
        response = client.get(detail_url(ticket))
    assert len(response.json()["messages"]) == 21

