"""Calls: the answer TwiML, voicemail + transcription as one message, missed calls."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from inbox.models import CallbackTask, Event, Message
from tests.channels_app.phone.conftest import CUSTOMER, payload

pytestmark = pytest.mark.django_db

VOICE = "/channels/phone/voice/"
RECORDING = "/channels/phone/recording/"
STATUS = "/channels/phone/status/"
CALL_SID = "CA5b1d5f7e1c1f4a0b9e0d6c2f3a4b5c6d"


def twiml(response) -> ET.Element:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)


def test_an_incoming_call_is_greeted_in_the_numbers_language_and_offered_voicemail(post_twilio):
    root = twiml(post_twilio(VOICE, payload("voice_incoming")))

    say, record = root[0], root[1]
    assert say.tag == "Say" and say.get("language") == "nl-NL"
    assert "Spreek na de toon" in say.text
    assert record.tag == "Record"
    assert record.get("transcribe") == "true"
    assert record.get("action") == "http://testserver/channels/phone/recording/"
    assert record.get("transcribeCallback") == "http://testserver/channels/phone/recording/"
    assert Message.objects.count() == 0  # a ringing call is not a message yet


def test_a_voicemail_is_capped_where_twilio_still_transcribes_it(post_twilio):
    # Twilio transcribes recordings of 2 to 120 seconds only (warning 13617):
    # a longer cap would leave the longest voicemails without a transcript.
    record = twiml(post_twilio(VOICE, payload("voice_incoming"))).find("Record")

    assert int(record.get("maxLength")) == 120


def test_a_number_without_a_configured_language_greets_in_the_default(post_twilio):
    root = twiml(post_twilio(VOICE, payload("voice_incoming", To="+3197010269999")))

    assert root[0].get("language") == "en-GB"


def test_behind_a_proxy_the_callback_urls_in_twiml_are_public(post_twilio, twilio_settings):
    twilio_settings.TWILIO_WEBHOOK_BASE_URL = "https://care.example.com"

    root = twiml(post_twilio(VOICE, payload("voice_incoming"), signed_url=f"https://care.example.com{VOICE}"))

    assert root.find("Record").get("action") == "https://care.example.com/channels/phone/recording/"


WITHHELD = ["anonymous", "Restricted", "+266696687", "+7378742833", "+86282452253"]


@pytest.mark.parametrize("withheld", WITHHELD)
def test_a_withheld_number_is_greeted_and_may_leave_a_voicemail_without_a_callback_promise(post_twilio, withheld):
    root = twiml(post_twilio(VOICE, payload("voice_incoming", From=withheld, Caller=withheld)))

    say = root.find("Say")
    assert say.get("language") == "nl-NL"
    assert "we zien uw nummer niet" in say.text
    assert "telefoonnummer of e-mailadres" in say.text
    assert "bellen wij u terug" not in say.text
    assert root.find("Record").get("action") == "http://testserver/channels/phone/recording/"
    assert Message.objects.count() == 0


def _identities(message: Message) -> list:
    return list(message.ticket.customer.identities.all())


@pytest.mark.parametrize("withheld", WITHHELD)
def test_a_missed_call_from_a_withheld_number_is_recorded_without_a_callback_task(post_twilio, withheld):
    for _ in range(2):  # redelivered: still one message
        response = post_twilio(STATUS, payload("call_status_no_answer", From=withheld, Caller=withheld))
        assert twiml(response).tag == "Response"
        assert len(twiml(response)) == 0  # empty TwiML

    message = Message.objects.get()
    assert message.meta["call"]["outcome"] == "missed"
    assert message.meta["call"]["caller"] == "withheld"
    assert message.body.startswith("Missed call from a withheld number")
    assert "No number to call back." in message.body
    assert message.ticket.subject.startswith("Missed call from a withheld number")
    assert _identities(message) == []
    assert CallbackTask.objects.count() == 0
    assert "callback" not in message.meta


def test_a_voicemail_from_a_withheld_number_lands_on_a_ticket_without_a_phone_identity(post_twilio, client, agent):
    anonymous = {"From": "anonymous", "Caller": "anonymous"}
    root = twiml(post_twilio(RECORDING, payload("recording_action", **anonymous)))
    post_twilio(RECORDING, payload("transcription", **anonymous))
    post_twilio(STATUS, payload("call_status_completed", **anonymous))

    say = root.find("Say")
    assert say.text == "Dank u wel. We hebben uw bericht."  # no promise to call back
    message = Message.objects.get()
    assert message.body.startswith("Voicemail from a withheld number (42 s).")
    assert "Transcript: Hello, this is Piet" in message.body
    assert _identities(message) == []
    assert CallbackTask.objects.count() == 0
    # The agent sees it like any call.
    message.ticket.queue = agent.inbox_queues.get()
    message.ticket.save(update_fields=["queue"])
    client.force_login(agent)
    page = client.get(f"/inbox/t/{message.ticket.pk}/")
    assert page.status_code == 200
    assert "Voicemail from a withheld number" in page.content.decode()


def test_two_withheld_callers_are_not_one_customer(post_twilio):
    post_twilio(STATUS, payload("call_status_no_answer", From="anonymous", CallSid="CA" + "1" * 32))
    post_twilio(STATUS, payload("call_status_no_answer", From="anonymous", CallSid="CA" + "2" * 32))

    first, second = Message.objects.order_by("id")
    assert first.ticket != second.ticket
    assert first.ticket.customer != second.ticket.customer


def test_a_caller_id_that_is_no_phone_number_is_recorded_as_it_came(post_twilio):
    response = post_twilio(STATUS, payload("call_status_no_answer", From="1234", Caller="1234"))

    assert response.status_code == 200
    message = Message.objects.get()
    assert message.body.startswith("Missed call from caller id '1234'")
    assert _identities(message) == []
    assert CallbackTask.objects.count() == 0


def test_a_voicemail_is_an_inbound_phone_message_with_its_recording(post_twilio):
    root = twiml(post_twilio(RECORDING, payload("recording_action")))

    assert root.find("Hangup") is not None
    message = Message.objects.get()
    assert (message.channel, message.direction, message.provider_id) == ("phone", "in", CALL_SID)
    call = message.meta["call"]
    assert call["outcome"] == "voicemail"
    assert call["recording"]["duration"] == 42
    assert call["recording"]["url"].endswith("/Recordings/RE0a1b2c3d4e5f60718293a4b5c6d7e8f9")
    assert "Voicemail (42 s)" in message.body
    assert "Transcript: not yet available." in message.body
    assert message.ticket.customer.identities.get().value == CUSTOMER


@pytest.mark.parametrize("order", [("recording_action", "transcription"), ("transcription", "recording_action")])
def test_recording_and_transcription_in_either_order_are_one_message_with_both(post_twilio, order):
    for fixture in order:
        assert post_twilio(RECORDING, payload(fixture)).status_code == 200

    message = Message.objects.get()
    call = message.meta["call"]
    assert call["recording"]["sid"] == "RE0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    assert call["recording"]["duration"] == 42
    assert call["transcript"]["text"].startswith("Hello, this is Piet")
    assert "Voicemail (42 s)" in message.body
    assert "Transcript: Hello, this is Piet, my internet is down again" in message.body
    assert Event.objects.filter(type="message.created").count() == 1


@pytest.mark.parametrize("order", [("recording_action", "transcription_failed"), ("transcription_failed", "recording_action")])
def test_a_failed_transcription_keeps_the_recording_and_says_there_is_no_transcript(post_twilio, order):
    for fixture in order:
        response = post_twilio(RECORDING, payload(fixture))
        assert response.status_code == 200, response.content

    message = Message.objects.get()
    call = message.meta["call"]
    assert call["recording"]["url"].endswith("/Recordings/RE0a1b2c3d4e5f60718293a4b5c6d7e8f9")
    assert call["recording"]["duration"] == 42
    assert call["transcript"]["status"] == "failed"
    assert "Voicemail (42 s)" in message.body
    assert "No transcript (transcription failed)" in message.body
    assert "not yet available" not in message.body
    assert "Recording: https://api.twilio.com/" in message.body
    assert CallbackTask.objects.count() == 0


def test_a_failed_transcription_shows_no_transcript_on_the_ticket(post_twilio, client, agent):
    post_twilio(RECORDING, payload("recording_action"))
    post_twilio(RECORDING, payload("transcription_failed"))
    message = Message.objects.get()
    message.ticket.queue = agent.inbox_queues.get()
    message.ticket.save(update_fields=["queue"])
    client.force_login(agent)

    page = client.get(f"/inbox/t/{message.ticket.pk}/").content.decode()

    assert "No transcript (transcription failed): listen to the recording." in page
    assert "RE0a1b2c3d4e5f60718293a4b5c6d7e8f9" in page


def test_the_transcript_update_reaches_open_pages(post_twilio, django_capture_on_commit_callbacks):
    post_twilio(RECORDING, payload("recording_action"))
    message = Message.objects.get()

    post_twilio(RECORDING, payload("transcription"))

    update = Event.objects.filter(type="message.status").get()
    assert update.payload["message"] == message.pk
    assert update.payload["updated"] == "call"


def test_redelivered_recording_callbacks_change_nothing(post_twilio):
    for fixture in ("recording_action", "transcription", "recording_action", "transcription"):
        post_twilio(RECORDING, payload(fixture))

    assert Message.objects.count() == 1
    assert Event.objects.filter(type="message.status").count() == 1  # only the transcript changed it


def test_a_record_action_without_a_recording_stores_nothing(post_twilio):
    data = payload("recording_action")
    for field in ("RecordingSid", "RecordingUrl", "RecordingDuration"):
        del data[field]

    root = twiml(post_twilio(RECORDING, data))

    assert root.tag == "Response"
    assert Message.objects.count() == 0


def test_a_missed_call_creates_exactly_one_callback_task(post_twilio):
    for _ in range(3):  # Twilio may deliver a status callback more than once
        twiml(post_twilio(STATUS, payload("call_status_no_answer")))

    message = Message.objects.get()
    assert message.meta["call"]["outcome"] == "missed"
    assert message.body.startswith("Missed call")
    task = CallbackTask.objects.get()
    assert task.ticket == message.ticket
    assert task.source == CallbackTask.Source.MISSED_CALL
    assert task.phone == CUSTOMER
    assert task.status == CallbackTask.Status.OPEN
    assert task.request_message == message
    assert (task.due_at - message.created_at).total_seconds() == pytest.approx(90 * 60, abs=5)


@pytest.mark.parametrize("status", ["busy", "no-answer", "canceled", "failed"])
def test_every_unanswered_ending_is_a_missed_call(post_twilio, status):
    post_twilio(STATUS, payload("call_status_no_answer", CallStatus=status))

    assert CallbackTask.objects.count() == 1


@pytest.mark.parametrize(
    "order",
    [("recording_action", "call_status_completed"), ("call_status_completed", "recording_action")],
    ids=["voicemail-first", "status-first"],
)
def test_a_call_that_left_a_voicemail_owes_no_callback_whatever_arrives_first(post_twilio, order, client, agent):
    for fixture in order:
        assert post_twilio(RECORDING if fixture == "recording_action" else STATUS, payload(fixture)).status_code == 200

    message = Message.objects.get()
    assert message.meta["call"]["outcome"] == "voicemail"
    assert message.body.startswith("Voicemail")
    assert not CallbackTask.objects.filter(status=CallbackTask.Status.OPEN).exists()
    client.force_login(agent)
    assert CUSTOMER not in client.get("/inbox/callbacks/").content.decode()


def test_a_voicemail_after_the_status_report_closes_the_task_it_opened_and_says_so(post_twilio):
    post_twilio(STATUS, payload("call_status_completed"))
    task = CallbackTask.objects.get()

    post_twilio(RECORDING, payload("recording_action"))
    post_twilio(RECORDING, payload("recording_action"))  # redelivered: nothing more

    task.refresh_from_db()
    assert task.status == CallbackTask.Status.DONE
    assert task.done_at is not None
    assert task.done_by is None and task.logged_call is None  # nobody called
    closed = Event.objects.filter(type="callback.updated").order_by("id").last()
    assert closed.payload["callback"] == task.pk
    assert closed.payload["status"] == "done"
    assert closed.payload["closed_by"] == "voicemail"
    assert Event.objects.filter(type="callback.updated").count() == 2  # opened, closed


def test_a_transcription_after_the_status_report_also_closes_the_task(post_twilio):
    post_twilio(STATUS, payload("call_status_completed"))

    post_twilio(RECORDING, payload("transcription"))

    assert CallbackTask.objects.get().status == CallbackTask.Status.DONE


def test_a_completed_call_without_voicemail_was_abandoned_and_is_missed(post_twilio):
    post_twilio(STATUS, payload("call_status_completed"))

    assert CallbackTask.objects.count() == 1
    assert Message.objects.get().meta["call"]["status"] == "completed"


def test_progress_reports_of_a_call_store_nothing(post_twilio):
    for status in ("queued", "ringing", "in-progress"):
        post_twilio(STATUS, payload("call_status_no_answer", CallStatus=status))

    assert Message.objects.count() == 0


def test_a_status_report_that_is_neither_a_call_nor_a_message_is_a_400(post_twilio):
    response = post_twilio(STATUS, {"AccountSid": "AC0123456789abcdef0123456789abcdef"})

    assert response.status_code == 400
