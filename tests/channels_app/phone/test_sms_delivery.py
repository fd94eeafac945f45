"""Outbound SMS through the Twilio REST API (intercepted at the HTTP layer with
``responses``) and Twilio's delivery reports on /channels/phone/status/."""

from __future__ import annotations

import itertools
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from celery.signals import task_retry
from django.urls import reverse
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from channels_app.phone import outbound
from channels_app.tasks import deliver_message
from inbox import actions
from inbox.models import Message
from tests.channels_app.phone.conftest import API_MESSAGES, CUSTOMER, OUR_NUMBER, payload, signature

pytestmark = pytest.mark.django_db

STATUS = "/channels/phone/status/"
CREATED = json.loads(payload.__globals__["FIXTURES"].joinpath("api_message_created.json").read_text())
SID = CREATED["sid"]


def _form(call) -> dict:
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


def _reply(ticket, agent, capture, *, deliver=True) -> Message:
    with capture(execute=deliver):
        message = actions.reply(ticket=ticket, author=agent, body="Hi Piet, we reset your line.", channel="sms")
    message.refresh_from_db()
    return message


def test_a_reply_is_sent_once_with_a_status_callback_that_names_the_message(sms_ticket, agent, twilio_api, django_capture_on_commit_callbacks):
    twilio_api.post(API_MESSAGES, json=CREATED, status=201)

    message = _reply(sms_ticket, agent, django_capture_on_commit_callbacks)

    assert message.status == Message.Status.SENT
    assert message.provider_id == SID
    assert len(twilio_api.calls) == 1
    form = _form(twilio_api.calls[0])
    assert form["To"] == CUSTOMER
    assert form["From"] == OUR_NUMBER
    assert form["Body"] == "Hi Piet, we reset your line."
    callback = urlsplit(form["StatusCallback"])
    assert callback.path == STATUS
    assert parse_qs(callback.query) == {"m": [str(message.idempotency_key)]}


def test_with_a_messaging_service_the_service_sends(sms_ticket, agent, twilio_api, twilio_settings, django_capture_on_commit_callbacks):
    twilio_settings.TWILIO_MESSAGING_SERVICE_SID = "MG0123456789abcdef0123456789abcdef"
    twilio_api.post(API_MESSAGES, json={**CREATED, "status": "accepted"}, status=201)

    _reply(sms_ticket, agent, django_capture_on_commit_callbacks)

    form = _form(twilio_api.calls[0])
    assert form["MessagingServiceSid"] == "MG0123456789abcdef0123456789abcdef"
    assert "From" not in form


def test_a_server_error_then_success_sends_once(sms_ticket, agent, twilio_api, django_capture_on_commit_callbacks):
    error = json.loads(payload.__globals__["FIXTURES"].joinpath("api_error_500.json").read_text())
    twilio_api.post(API_MESSAGES, json=error, status=500)
    twilio_api.post(API_MESSAGES, json=CREATED, status=201)

    message = _reply(sms_ticket, agent, django_capture_on_commit_callbacks)

    assert message.status == Message.Status.SENT
    assert message.provider_id == SID
    assert message.delivery_attempts == 2
    assert [call.response.status_code for call in twilio_api.calls] == [500, 201]


@pytest.fixture
def retries_seen():
    """What Celery's own retry machinery decided, as its task_retry signal
    reports it: the Retry each attempt raised, whose ``when`` is the countdown
    the broker would hold the next attempt for."""
    seen: list = []

    def record(sender=None, request=None, reason=None, **kwargs):
        if getattr(sender, "name", "") == deliver_message.name:
            seen.append(reason)

    task_retry.connect(record, weak=False)
    yield seen
    task_retry.disconnect(record)


def test_transient_errors_are_retried_after_5_then_10_seconds(sms_ticket, agent, twilio_api, retries_seen, django_capture_on_commit_callbacks):
    error = json.loads(payload.__globals__["FIXTURES"].joinpath("api_error_500.json").read_text())
    twilio_api.post(API_MESSAGES, json=error, status=500)
    twilio_api.post(API_MESSAGES, json=error, status=503)
    twilio_api.post(API_MESSAGES, json=CREATED, status=201)

    message = _reply(sms_ticket, agent, django_capture_on_commit_callbacks)

    assert [retry.when for retry in retries_seen] == [5, 10]
    assert [retry.sig.options["countdown"] for retry in retries_seen] == [5, 10]
    assert message.status == Message.Status.SENT
    assert message.delivery_attempts == 3


def test_the_last_retry_waits_the_capped_delay_then_the_message_fails_with_the_reason(
    sms_ticket, agent, twilio_api, retries_seen, settings, django_capture_on_commit_callbacks
):
    settings.UNISONO_DELIVERY_MAX_RETRIES = 8
    error = json.loads(payload.__globals__["FIXTURES"].joinpath("api_error_500.json").read_text())
    twilio_api.post(API_MESSAGES, json=error, status=500)

    message = _reply(sms_ticket, agent, django_capture_on_commit_callbacks)

    assert [retry.when for retry in retries_seen] == [5, 10, 20, 40, 80, 160, 320, 600]
    assert message.status == Message.Status.FAILED
    assert message.delivery_attempts == 9
    assert len(twilio_api.calls) == 9


def test_an_invalid_number_fails_for_good_with_the_code_on_the_ticket(sms_ticket, agent, client, twilio_api, django_capture_on_commit_callbacks):
    error = json.loads(payload.__globals__["FIXTURES"].joinpath("api_error_21211.json").read_text())
    twilio_api.post(API_MESSAGES, json=error, status=400)

    message = _reply(sms_ticket, agent, django_capture_on_commit_callbacks)

    assert message.status == Message.Status.FAILED
    assert message.delivery_attempts == 1
    assert len(twilio_api.calls) == 1
    assert message.status_detail.startswith("21211: ")
    assert "is not a valid phone number" in message.status_detail
    client.force_login(agent)
    page = client.get(f"/inbox/t/{sms_ticket.pk}/").content.decode()
    assert "21211" in page
    assert "is not a valid phone number" in page


def test_the_worker_dying_after_twilio_accepted_never_sends_twice(sms_ticket, agent, twilio_api, post_twilio, django_capture_on_commit_callbacks):
    twilio_api.post(API_MESSAGES, json=CREATED, status=201)
    message = _reply(sms_ticket, agent, django_capture_on_commit_callbacks, deliver=False)
    assert message.status == Message.Status.QUEUED

    # The worker's first half: claim, then hand the message to Twilio... and
    # die before the status update is written.
    claimed = actions.message_claim_for_delivery(message_id=message.pk)
    assert outbound.send(claimed) == SID
    message.refresh_from_db()
    assert message.status == Message.Status.SENDING
    assert message.get_status_display() == "Sending"
    assert message.provider_id is None

    # The broker redelivers the task (acks_late): nothing goes out again.
    assert deliver_message.delay(message.pk).get(timeout=10) == "skipped"
    assert len(twilio_api.calls) == 1

    # Twilio's report names our message in the URL we gave it, and settles it.
    callback_url = urlsplit(_form(twilio_api.calls[0])["StatusCallback"])
    path_and_query = f"{callback_url.path}?{callback_url.query}"
    data = payload("sms_status", MessageStatus="sent", SmsStatus="sent")
    response = post_twilio(path_and_query, data, signed_url=f"http://testserver{path_and_query}")
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.provider_id == SID

    post_twilio(STATUS, payload("sms_status"))
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    assert len(twilio_api.calls) == 1


def test_no_answer_from_twilio_leaves_the_message_unconfirmed_and_never_resends(sms_ticket, agent, twilio_api, django_capture_on_commit_callbacks):
    import requests

    twilio_api.post(API_MESSAGES, body=requests.exceptions.ReadTimeout("read timed out"))

    message = _reply(sms_ticket, agent, django_capture_on_commit_callbacks)

    assert message.status == Message.Status.SENDING
    assert len(twilio_api.calls) == 1
    assert deliver_message.delay(message.pk).get(timeout=10) == "skipped"
    assert len(twilio_api.calls) == 1


def test_unreachable_twilio_is_retried(sms_ticket, agent, twilio_api, django_capture_on_commit_callbacks):
    import requests

    twilio_api.post(API_MESSAGES, body=requests.ConnectionError("connection refused"))
    twilio_api.post(API_MESSAGES, json=CREATED, status=201)

    message = _reply(sms_ticket, agent, django_capture_on_commit_callbacks)

    assert message.status == Message.Status.SENT
    assert len(twilio_api.calls) == 2


def test_without_credentials_an_sms_reply_is_refused_before_anything_is_stored(sms_ticket, agent, twilio_api, settings):
    settings.TWILIO_AUTH_TOKEN = ""

    with pytest.raises(actions.ActionError, match="isn't set up for sending"):
        actions.reply(ticket=sms_ticket, author=agent, body="Hi Anna", channel="sms")

    assert not sms_ticket.messages.filter(direction="out").exists()
    assert len(twilio_api.calls) == 0


def test_credentials_removed_before_delivery_make_the_reply_fail_visibly(sms_ticket, agent, twilio_api, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = actions.reply(ticket=sms_ticket, author=agent, body="Hi Anna", channel="sms")
    settings.TWILIO_AUTH_TOKEN = ""

    for callback in callbacks:
        callback()

    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert "not configured" in message.status_detail
    assert len(twilio_api.calls) == 0


def test_sms_shows_as_not_configured_for_sending_without_credentials(sms_ticket, agent, client, settings):
    client.force_login(agent)
    assert "SMS (not configured for sending)" not in client.get(f"/inbox/t/{sms_ticket.pk}/").content.decode()

    settings.TWILIO_ACCOUNT_SID = ""

    assert "SMS (not configured for sending)" in client.get(f"/inbox/t/{sms_ticket.pk}/").content.decode()


# --- delivery reports ----------------------------------------------------------------


def _sent_message(ticket, agent, sid: str) -> Message:
    message = Message.objects.create(
        ticket=ticket, direction="out", channel="sms", author=agent, body="Hi", status=Message.Status.SENT, provider_id=sid
    )
    return message


def test_an_undelivered_report_shows_the_providers_error_code(sms_ticket, agent, post_twilio):
    message = _sent_message(sms_ticket, agent, SID)

    post_twilio(STATUS, payload("sms_status_undelivered"))

    message.refresh_from_db()
    assert message.status == Message.Status.UNDELIVERED
    assert message.status_detail.startswith("30003: Unreachable destination handset")


def test_the_ticket_page_shows_the_error_code_of_an_undelivered_message_without_a_retry(sms_ticket, agent, post_twilio, client):
    message = _sent_message(sms_ticket, agent, SID)
    post_twilio(STATUS, payload("sms_status_undelivered"))
    client.force_login(agent)

    page = client.get(f"/inbox/t/{sms_ticket.pk}/").content.decode()

    assert "Not delivered: 30003: Unreachable destination handset" in page
    # The provider gave up on it: message_retry refuses anything but "failed".
    assert reverse("inbox:retry", args=[sms_ticket.pk, message.pk]) not in page


def test_a_report_for_a_message_we_do_not_know_is_acknowledged_and_changes_nothing(sms_ticket, agent, post_twilio):
    message = _sent_message(sms_ticket, agent, SID)

    response = post_twilio(STATUS, payload("sms_status", MessageSid="SM" + "f" * 32, SmsSid="SM" + "f" * 32))

    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == Message.Status.SENT


def test_a_report_with_a_garbled_message_key_is_acknowledged(post_twilio, sms_ticket):
    path = f"{STATUS}?m=not-a-uuid"

    response = post_twilio(path, payload("sms_status", MessageSid="SM" + "e" * 32), signed_url=f"http://testserver{path}")

    assert response.status_code == 200


TWILIO_ORDER = ["queued", "sending", "sent", "delivered"]
FAILED_ORDER = ["accepted", "queued", "sent", "undelivered"]
_counter = itertools.count()


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from([TWILIO_ORDER, FAILED_ORDER]).flatmap(st.permutations))
def test_reports_in_any_order_end_in_the_furthest_status(sms_ticket, agent, post_twilio, reports):
    sid = f"SM{next(_counter):032d}"
    message = _sent_message(sms_ticket, agent, sid)
    Message.objects.filter(pk=message.pk).update(status=Message.Status.SENDING)

    for report in reports:
        data = payload("sms_status", MessageSid=sid, SmsSid=sid, MessageStatus=report, SmsStatus=report)
        if report == "undelivered":
            data["ErrorCode"] = "30005"
        assert post_twilio(STATUS, data).status_code == 200

    message.refresh_from_db()
    furthest = "delivered" if "delivered" in reports else "undelivered"
    assert message.status == furthest
    if furthest == "undelivered":
        assert message.status_detail.startswith("30005")
