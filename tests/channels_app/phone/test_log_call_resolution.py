"""The Log call form records the answer given on the phone like a written
reply: the playbook version (or why none, or why an exception) in one
AnswerRecord for an outbound call, stored together with the call or not at all."""

from __future__ import annotations

import html
import uuid
from pathlib import Path

import pytest

from inbox import actions
from inbox.models import CallbackTask, Message, Ticket
from resolutions import actions as playbook_actions
from resolutions.models import AnswerRecord, Resolution
from resolutions.playbook_file import parse
from tests.channels_app.phone.conftest import payload

pytestmark = pytest.mark.django_db

STATUS = "/channels/phone/status/"
STARTER = Path(__file__).resolve().parents[3] / "resolutions" / "playbooks" / "telecom.yaml"


@pytest.fixture
def playbook(db):
    playbook_actions.playbook_import(topics=parse(STARTER.read_text(encoding="utf-8")), source=STARTER.name)


@pytest.fixture
def restore_version(playbook):
    return Resolution.objects.select_related("current_version").get(slug="broadband-restore").current_version


@pytest.fixture
def missed_call(client, agent, post_twilio, queue, playbook) -> CallbackTask:
    """A missed call on the agent's queue: one open callback task."""
    post_twilio(STATUS, payload("call_status_no_answer"))
    Ticket.objects.update(queue=queue)
    client.force_login(agent)
    return CallbackTask.objects.select_related("ticket").get()


def _log(client, ticket, **fields):
    data = {
        "submission_id": str(uuid.uuid4()),
        "direction": "out",
        "outcome": "answered",
        "minutes": "4",
        "seconds": "0",
        "summary": "Restarted the router remotely; the line is back.",
    }
    data.update(fields)
    return client.post(f"/inbox/t/{ticket.pk}/log-call/", {key: value for key, value in data.items() if value is not None})


def _logged_calls():
    return Message.objects.filter(provider_id__startswith="log:")


def test_an_outbound_call_with_a_playbook_answer_records_that_version_and_closes_the_callback(client, agent, missed_call, restore_version):
    response = _log(client, missed_call.ticket, callback=str(missed_call.pk), resolution_version=str(restore_version.pk))

    assert response.status_code == 302
    logged = _logged_calls().get()
    assert (logged.direction, logged.channel, logged.author) == ("out", "phone", agent)
    record = AnswerRecord.objects.get()
    assert record.message == logged
    assert (record.kind, record.version, record.topic.slug, record.channel) == ("playbook", restore_version, "broadband-outage", "phone")
    missed_call.refresh_from_db()
    assert missed_call.status == CallbackTask.Status.DONE
    assert missed_call.logged_call == logged


def test_an_outbound_call_without_a_playbook_answer_is_recorded_off_playbook(client, missed_call):
    response = _log(client, missed_call.ticket, callback=str(missed_call.pk), resolution_version="")

    assert response.status_code == 302
    record = AnswerRecord.objects.get()
    assert record.message == _logged_calls().get()
    assert (record.kind, record.version, record.reason) == ("off_playbook", None, "not given")
    missed_call.refresh_from_db()
    assert missed_call.status == CallbackTask.Status.DONE


def test_an_off_playbook_reason_is_kept(client, missed_call):
    _log(client, missed_call.ticket, off_playbook_reason="Customer asked about a fibre move date; not in the playbook")

    record = AnswerRecord.objects.get()
    assert (record.kind, record.reason) == ("off_playbook", "Customer asked about a fibre move date; not in the playbook")


def test_an_exception_on_the_phone_is_recorded_with_its_reason(client, missed_call, restore_version):
    response = _log(
        client, missed_call.ticket, resolution_version=str(restore_version.pk),
        exception_reason="Third outage this month: credited a full month",
    )

    assert response.status_code == 302
    record = AnswerRecord.objects.get()
    assert (record.kind, record.version, record.reason) == ("exception", restore_version, "Third outage this month: credited a full month")


def test_a_retired_version_is_a_form_error_and_nothing_is_stored(client, agent, missed_call, restore_version):
    playbook_actions.resolution_retire(resolution=restore_version.resolution, by=agent)

    response = _log(client, missed_call.ticket, callback=str(missed_call.pk), resolution_version=str(restore_version.pk))

    assert response.status_code == 400
    assert "updated or retired" in html.unescape(response.content.decode())
    assert not _logged_calls().exists()
    assert not AnswerRecord.objects.exists()
    missed_call.refresh_from_db()
    assert missed_call.status == CallbackTask.Status.OPEN


def test_an_unknown_version_is_a_form_error_and_nothing_is_stored(client, missed_call):
    response = _log(client, missed_call.ticket, callback=str(missed_call.pk), resolution_version="987654")

    assert response.status_code == 400
    assert not _logged_calls().exists()
    assert not AnswerRecord.objects.exists()


def test_a_version_retired_while_the_form_was_submitted_rolls_the_call_back(agent, missed_call, restore_version):
    # The form checked the version; it is retired before the action stores
    # the call: the AnswerRecord fails, and the call and the callback with it.
    playbook_actions.resolution_retire(resolution=restore_version.resolution, by=agent)

    with pytest.raises(actions.ActionError, match="updated or retired"):
        actions.log_call(
            ticket=missed_call.ticket, author=agent, direction="out", outcome="answered", duration_seconds=60,
            summary="Restarted the router.", submission_id=str(uuid.uuid4()), callback=missed_call,
            resolution_version=restore_version.pk,
        )

    assert not _logged_calls().exists()
    assert not AnswerRecord.objects.exists()
    missed_call.refresh_from_db()
    assert missed_call.status == CallbackTask.Status.OPEN


def test_an_exception_without_a_playbook_answer_is_refused(client, missed_call):
    response = _log(client, missed_call.ticket, exception_reason="goodwill")

    assert response.status_code == 400
    assert "exception is made to a playbook answer" in response.content.decode()
    assert not _logged_calls().exists()


def test_an_inbound_call_gets_no_answer_record(client, missed_call):
    response = _log(client, missed_call.ticket, direction="in", summary="Customer asked for the invoice date.")

    assert response.status_code == 302
    assert _logged_calls().get().direction == "in"
    assert not AnswerRecord.objects.exists()


def test_a_playbook_answer_on_an_inbound_call_is_refused_rather_than_dropped(client, missed_call, restore_version):
    response = _log(client, missed_call.ticket, direction="in", resolution_version=str(restore_version.pk))

    assert response.status_code == 400
    assert "recorded for calls you made" in response.content.decode()
    assert not _logged_calls().exists()


def test_a_playbook_answer_on_a_call_nobody_answered_is_refused(client, missed_call, restore_version):
    response = _log(client, missed_call.ticket, outcome="no-answer", summary="", resolution_version=str(restore_version.pk))

    assert response.status_code == 400
    assert "Nobody heard an answer" in response.content.decode()
    assert not _logged_calls().exists()


def test_the_form_offers_live_versions_by_topic_and_marks_the_suggestion(client, agent, post_twilio, queue, playbook, restore_version):
    # The customer texts that their internet is down: the playbook's
    # broadband answer is the suggestion.
    post_twilio("/channels/phone/sms/", payload("sms_inbound"))
    ticket = Ticket.objects.get()
    Ticket.objects.update(queue=queue)
    retired = Resolution.objects.select_related("current_version").get(slug="roaming-credit")
    playbook_actions.resolution_retire(resolution=retired, by=agent)
    client.force_login(agent)

    page = html.unescape(client.get(f"/inbox/t/{ticket.pk}/log-call/").content.decode())

    assert '<optgroup label="Home internet not working">' in page
    assert f'<option value="{restore_version.pk}">{restore_version.resolution.title} (suggested)</option>' in page
    assert f'value="{retired.current_version_id}"' not in page
    assert not Message.objects.filter(direction="out").exists()  # a suggestion, not a choice made for the agent
