"""Replies nobody could confirm: still "sending" UNISONO_UNCONFIRMED_AFTER_MINUTES
after a worker claimed them (it died before or after calling Twilio, or no
status report came). The periodic sweep shows them as unconfirmed, with a
controlled clock here; the agent may send them again; Twilio's late report
or a late worker still settles them."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from channels_app.phone import outbound
from config.schedule import run_entry
from inbox import actions
from inbox.models import Event, Message
from tests.channels_app.phone.conftest import API_MESSAGES, FIXTURES, payload

CREATED = json.loads((FIXTURES / "api_message_created.json").read_text())
SID = CREATED["sid"]


def _queued_reply(ticket, agent, capture) -> Message:
    with capture(execute=False):  # the worker never gets it: we play its part
        return actions.reply(ticket=ticket, author=agent, body="Hi Piet, we reset your line.", channel="sms")


def _claimed(ticket, agent, capture) -> Message:
    """A worker claimed the reply and died before it called Twilio."""
    message = _queued_reply(ticket, agent, capture)
    claimed = actions.message_claim_for_delivery(message_id=message.pk)
    assert claimed is not None and claimed.claimed_at is not None
    return claimed


@pytest.mark.django_db
def test_a_reply_stuck_sending_turns_unconfirmed_once_the_limit_passes(sms_ticket, agent, twilio_api, django_capture_on_commit_callbacks):
    assert settings.UNISONO_UNCONFIRMED_AFTER_MINUTES == 15
    message = _claimed(sms_ticket, agent, django_capture_on_commit_callbacks)
    claimed_at = message.claimed_at

    # Not yet: 14 minutes may still be a slow worker
    assert actions.messages_mark_unconfirmed(now=claimed_at + timedelta(minutes=14)) == []
    message.refresh_from_db()
    assert message.status == Message.Status.SENDING

    marked = actions.messages_mark_unconfirmed(now=claimed_at + timedelta(minutes=16))

    assert marked == [message.pk]
    message.refresh_from_db()
    assert message.status == Message.Status.UNCONFIRMED
    assert message.get_status_display() == "Unconfirmed — check before resending"
    assert "may or may not have reached the customer" in message.status_detail
    event = Event.objects.filter(type="message.status").last()
    assert event.payload == {"message": message.pk, "status": "unconfirmed", "status_detail": message.status_detail}
    assert len(twilio_api.calls) == 0  # never sent by the sweep
    # A second sweep changes nothing
    assert actions.messages_mark_unconfirmed(now=claimed_at + timedelta(minutes=30)) == []


@pytest.mark.django_db
def test_the_agent_sees_it_and_can_send_it_again(sms_ticket, agent, client, twilio_api, django_capture_on_commit_callbacks):
    message = _claimed(sms_ticket, agent, django_capture_on_commit_callbacks)
    actions.messages_mark_unconfirmed(now=message.claimed_at + timedelta(minutes=16))
    client.force_login(agent)
    retry_url = reverse("inbox:retry", args=[sms_ticket.pk, message.pk])

    page = client.get(f"/inbox/t/{sms_ticket.pk}/").content.decode()
    assert "Unconfirmed — check before resending" in page
    assert "Check before sending it again." in page
    assert retry_url in page

    twilio_api.post(API_MESSAGES, json=CREATED, status=201)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry_url)

    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.provider_id == SID
    assert message.delivery_attempts == 2
    assert len(twilio_api.calls) == 1


@pytest.mark.django_db
def test_twilios_late_report_settles_an_unconfirmed_reply(sms_ticket, agent, twilio_api, post_twilio, django_capture_on_commit_callbacks):
    # The worker died after Twilio took the message
    twilio_api.post(API_MESSAGES, json=CREATED, status=201)
    message = _claimed(sms_ticket, agent, django_capture_on_commit_callbacks)
    outbound.send(message)
    actions.messages_mark_unconfirmed(now=message.claimed_at + timedelta(minutes=16))

    callback = urlsplit(parse_qs(twilio_api.calls[0].request.body)["StatusCallback"][0])
    path = f"{callback.path}?{callback.query}"
    response = post_twilio(path, payload("sms_status"), signed_url=f"http://testserver{path}")

    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    assert message.provider_id == SID


@pytest.mark.django_db
def test_a_worker_that_finishes_after_the_sweep_still_records_the_send(sms_ticket, agent, django_capture_on_commit_callbacks):
    message = _claimed(sms_ticket, agent, django_capture_on_commit_callbacks)
    actions.messages_mark_unconfirmed(now=message.claimed_at + timedelta(minutes=16))

    actions.message_set_status(message_id=message.pk, status=Message.Status.SENT, provider_id=SID)

    message.refresh_from_db()
    assert message.status == Message.Status.SENT


@pytest.mark.django_db
def test_the_limit_counts_from_the_claim_not_from_when_the_reply_was_written(sms_ticket, agent, django_capture_on_commit_callbacks):
    # Written an hour ago while the workers were down, claimed just now
    message = _queued_reply(sms_ticket, agent, django_capture_on_commit_callbacks)
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(hours=1))
    claimed = actions.message_claim_for_delivery(message_id=message.pk)

    assert actions.messages_mark_unconfirmed(now=claimed.claimed_at + timedelta(minutes=1)) == []
    message.refresh_from_db()
    assert message.status == Message.Status.SENDING


@pytest.mark.django_db
def test_only_replies_stuck_sending_are_touched(sms_ticket, agent, django_capture_on_commit_callbacks):
    long_ago = timezone.now() - timedelta(days=1)
    for status in ("queued", "sent", "delivered", "failed", "undelivered"):
        Message.objects.create(
            ticket=sms_ticket, direction="out", channel="sms", author=agent, body=status, status=status,
            created_at=long_ago, claimed_at=long_ago,
        )

    assert actions.messages_mark_unconfirmed() == []


def test_beat_runs_the_sweep_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["delivery-unconfirmed"]
    assert entry == {"task": "channels_app.tasks.sweep_unconfirmed_deliveries", "schedule": 60.0}


@pytest.mark.django_db(transaction=True)
def test_an_embedded_scheduler_round_runs_the_same_sweep(sms_ticket, agent):
    message = Message.objects.create(
        ticket=sms_ticket, direction="out", channel="sms", author=agent, body="Hi", status=Message.Status.SENDING,
        claimed_at=timezone.now() - timedelta(minutes=20),
    )

    # In the scheduler's own thread, with its own database connection
    thread = threading.Thread(target=run_entry, args=[settings.CELERY_BEAT_SCHEDULE["delivery-unconfirmed"]["task"]])
    thread.start()
    thread.join(timeout=20)

    message.refresh_from_db()
    assert message.status == Message.Status.UNCONFIRMED
