"""Real concurrency on PostgreSQL: threads with their own connections race."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from channels_app.base import Sender
from inbox import actions
from inbox.models import Customer, Event, Identity, Message, Ticket
from tests.conftest import requires_postgres
from tests.factories import inbound

pytestmark = [requires_postgres, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(deliveries) -> list:
    """Run ``actions.receive`` for every delivery at the same moment, one thread each."""
    barrier = threading.Barrier(len(deliveries))
    results: list = [None] * len(deliveries)

    def worker(index, delivery):
        try:
            barrier.wait()
            results[index] = actions.receive(delivery)
        except Exception as error:  # surfaced by the assertion below
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, d)) for i, d in enumerate(deliveries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    errors = [result for result in results if isinstance(result, Exception)]
    assert not errors, errors
    return results


@pytest.mark.parametrize("round_", range(5))
def test_two_first_messages_from_a_new_number_make_one_customer(round_):
    number = f"+3161234{round_:04d}"
    deliveries = [
        inbound(senders=(Sender(kind="phone", value=number),), provider_id=f"SM-a-{round_}", body="First"),
        inbound(senders=(Sender(kind="phone", value=number),), provider_id=f"SM-b-{round_}", body="Second"),
    ]

    results = _race(deliveries)

    assert all(result.created for result in results)
    assert Customer.objects.count() == 1
    assert Identity.objects.filter(value=number).count() == 1
    # Ingest is serialised per customer, so the second threads into the first's ticket.
    assert Ticket.objects.count() == 1
    assert Message.objects.count() == 2


@pytest.mark.parametrize("round_", range(3))
def test_the_same_delivery_racing_itself_is_stored_once(round_):
    delivery = inbound(provider_id=f"SM-dup-{round_}", senders=(Sender(kind="phone", value=f"+3161111{round_:04d}"),))

    results = _race([delivery, delivery, delivery])

    assert sorted(result.created for result in results) == [False, False, True]
    assert len({result.message.pk for result in results}) == 1
    assert Message.objects.count() == 1
    assert Customer.objects.count() == 1
    assert Event.objects.count() == 2
