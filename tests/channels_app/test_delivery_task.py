"""channels_app.tasks.deliver_message: retried on transient errors, never twice."""

from __future__ import annotations

import pytest
from django.core import mail

from channels_app.base import Sender
from channels_app.tasks import deliver_message, delay_for
from inbox import actions
from inbox.models import Message, Ticket
from tests.channels_app import flaky_mail
from tests.factories import inbound

pytestmark = pytest.mark.django_db

FLAKY = "tests.channels_app.flaky_mail.FlakyBackend"


@pytest.fixture
def web_ticket(queue) -> Ticket:
    ticket = actions.receive(
        inbound(channel="web", senders=(Sender(kind="email", value="anna@example.org"),), name="Anna")
    ).message.ticket
    Ticket.objects.filter(pk=ticket.pk).update(queue=queue)
    return Ticket.objects.get(pk=ticket.pk)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = FLAKY
    flaky_mail.FAILURES.update(remaining=0, seen=0)
    return flaky_mail.FAILURES


def _reply(ticket, agent, django_capture_on_commit_callbacks) -> Message:
    with django_capture_on_commit_callbacks(execute=True):
        message = actions.reply(ticket=ticket, author=agent, body="Hi Anna, it's fixed.")
    message.refresh_from_db()
    return message


def test_a_transient_failure_is_retried_and_the_mail_goes_out_once(web_ticket, agent, flaky, django_capture_on_commit_callbacks):
    flaky["remaining"] = 1

    message = _reply(web_ticket, agent, django_capture_on_commit_callbacks)

    assert message.status == Message.Status.SENT
    assert message.delivery_attempts == 2
    assert flaky["seen"] == 2
    assert len(mail.outbox) == 1
    assert message.provider_id == mail.outbox[0].extra_headers["Message-ID"]


def test_a_server_down_for_good_ends_failed_with_the_reason(web_ticket, agent, flaky, settings, django_capture_on_commit_callbacks):
    settings.UNISONO_DELIVERY_MAX_RETRIES = 2
    flaky["remaining"] = 99

    message = _reply(web_ticket, agent, django_capture_on_commit_callbacks)

    assert message.status == Message.Status.FAILED
    assert "unreachable" in message.status_detail
    assert message.delivery_attempts == 3  # the first try and two retries
    assert mail.outbox == []


def test_a_replayed_task_never_sends_twice(web_ticket, agent, flaky, django_capture_on_commit_callbacks):
    message = _reply(web_ticket, agent, django_capture_on_commit_callbacks)
    assert message.status == Message.Status.SENT

    assert deliver_message.delay(message.pk).get(timeout=10) == "skipped"

    assert len(mail.outbox) == 1


def test_a_permanent_failure_is_not_retried(queue, agent, flaky, django_capture_on_commit_callbacks):
    phone_only = actions.receive(inbound(channel="web")).message.ticket

    message = _reply(phone_only, agent, django_capture_on_commit_callbacks)

    assert message.status == Message.Status.FAILED
    assert "no email address" in message.status_detail
    assert message.delivery_attempts == 1
    assert flaky["seen"] == 0


@pytest.mark.parametrize(
    ("retries", "seconds"),
    [(0, 5), (1, 10), (2, 20), (3, 40), (4, 80), (5, 160), (6, 320), (7, 600), (8, 600), (30, 600)],
)
def test_the_backoff_doubles_from_five_seconds_up_to_ten_minutes(retries, seconds):
    assert delay_for(retries) == seconds
