"""GET /api/customers/ and /api/customers/{id}/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inbox.models import Identity
from tests.factories import CustomerFactory, IdentityFactory, TicketFactory

pytestmark = pytest.mark.django_db

LIST = "/api/customers/"


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def test_agent_lists_customers_with_tickets_in_own_queues(api_as, agent, queue, other_queue):
    # Given one customer with two tickets in the agent's queue, one only in another queue
    mine = CustomerFactory()
    TicketFactory(queue=queue, customer=mine)
    TicketFactory(queue=queue, customer=mine)
    TicketFactory(queue=other_queue, customer=CustomerFactory())

    response = api_as(agent).get(LIST)

    # Then the agent sees their customer, once
    assert response.status_code == 200
    assert ids(response) == [mine.pk]


def test_supervisor_lists_all_customers_newest_first(api_as, supervisor, queue, other_queue):
    first = TicketFactory(queue=queue).customer
    second = TicketFactory(queue=other_queue).customer

    response = api_as(supervisor).get(LIST)

    assert ids(response) == [second.pk, first.pk]


def test_rows_carry_identities(api_as, agent, queue):
    customer = CustomerFactory(name="Mila de Vries")
    IdentityFactory(customer=customer, kind=Identity.Kind.EMAIL, value="mila@example.org")
    TicketFactory(queue=queue, customer=customer)

    row = api_as(agent).get(LIST).json()["results"][0]

    assert row["name"] == "Mila de Vries"
    assert [(i["kind"], i["value"]) for i in row["identities"]] == [("email", "mila@example.org")]


def test_pages_follow_next_cursor_without_overlap(api_as, agent, queue):
    customers = [TicketFactory(queue=queue).customer for _ in range(5)]
    client = api_as(agent)

    first = client.get(LIST, {"page_size": 2})
    second = client.get(first.json()["next"])
    third = client.get(second.json()["next"])

    newest_first = [c.pk for c in reversed(customers)]
    assert ids(first) == newest_first[:2]
    assert ids(second) == newest_first[2:4]
    assert ids(third) == newest_first[4:]
    assert third.json()["next"] is None


def test_mangled_cursor_is_400(api_as, agent, queue):
    TicketFactory(queue=queue)

    response = api_as(agent).get(LIST, {"cursor": "bz14"})  # base64 of "o=x"

    assert response.status_code == 400
    assert "not valid" in response.json()["detail"]


def test_list_queries_do_not_grow_with_the_number_of_customers(api_as, agent, queue, django_assert_max_num_queries):
    client = api_as(agent)
    IdentityFactory(customer=TicketFactory(queue=queue).customer)
    with CaptureQueriesContext(connection) as baseline:
        assert client.get(LIST).status_code == 200

    for _ in range(20):
        customer = TicketFactory(queue=queue).customer
        IdentityFactory(customer=customer)
        IdentityFactory(customer=customer, kind=Identity.Kind.X, value=str(customer.pk))

    with django_assert_max_num_queries(len(baseline.captured_queries)):
        response = client.get(LIST)
    assert len(response.json()["results"]) == 21


def test_detail_has_identities_and_tickets_newest_first(api_as, agent, queue, other_queue):
    # Given a customer who wrote to two teams
    customer = CustomerFactory()
    IdentityFactory(customer=customer, kind=Identity.Kind.PHONE, value="+31612345678")
    now = timezone.now()
    older = TicketFactory(queue=queue, customer=customer, updated_at=now - timedelta(days=3))
    newer = TicketFactory(queue=other_queue, customer=customer, updated_at=now)

    response = api_as(agent).get(f"{LIST}{customer.pk}/")

    # Then the agent sees the whole history, so no promise made elsewhere is missed
    assert response.status_code == 200
    body = response.json()
    assert [(i["kind"], i["value"]) for i in body["identities"]] == [("phone", "+31612345678")]
    assert [t["id"] for t in body["tickets"]] == [newer.pk, older.pk]
    assert body["tickets"][0]["reference"] == newer.reference
    assert body["tickets"][0]["queue"] == {"id": other_queue.pk, "name": "Billing"}


def test_detail_of_a_customer_without_tickets_in_your_queues_is_404(api_as, outsider, queue):
    customer = TicketFactory(queue=queue).customer

    response = api_as(outsider).get(f"{LIST}{customer.pk}/")

    assert response.status_code == 404


def test_outsider_lists_no_customers_of_other_queues(api_as, outsider, queue):
    TicketFactory(queue=queue)

    response = api_as(outsider).get(LIST)

    assert response.status_code == 200
    assert ids(response) == []
