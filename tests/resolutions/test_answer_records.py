from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from channels_app.base import Sender
from inbox import actions
from inbox.models import Channel, Message
from resolutions import rendering
from resolutions.models import AnswerRecord, Resolution
from tests.factories import inbound


@pytest.fixture
def dutch_ticket(playbook, queue):
    received = actions.receive(
        inbound(
            channel=Channel.SMS, name="Annelies de Vries",
            body="Hoi, mijn rekening heeft ineens heel hoge datakosten, hoe kan dat?",
            senders=(Sender(kind="phone", value="+31612345678"),),
        )
    )
    return received.message.ticket


def test_receive_detects_the_language_and_the_customer_follows(dutch_ticket):
    message = dutch_ticket.messages.get()
    assert message.language == "nl"
    assert dutch_ticket.customer.language == "nl"
    # A later Danish message moves the customer's language
    danish = actions.receive(inbound(channel=Channel.SMS, body="Hej, jeg har stadig ikke fået svar på min regning", senders=(Sender(kind="phone", value="+31612345678"),)))
    danish.message.refresh_from_db()
    assert danish.message.language == "da"
    danish.message.ticket.customer.refresh_from_db()
    assert danish.message.ticket.customer.language == "da"
    # A too-short message leaves it as it was
    actions.receive(inbound(channel=Channel.SMS, body="ok", senders=(Sender(kind="phone", value="+31612345678"),)))
    danish.message.ticket.customer.refresh_from_db()
    assert danish.message.ticket.customer.language == "da"


def test_a_playbook_reply_records_the_version_and_how_far_it_was_edited(dutch_ticket, agent, refund_version):
    rendered = rendering.render_version(refund_version, channel="sms", language="nl", first_name="Annelies", ticket_ref=dutch_ticket.reference, agent_name="Sam Visser")
    message = actions.reply(ticket=dutch_ticket, author=agent, body=rendered.text, channel="sms", resolution_version=refund_version.pk)
    record = AnswerRecord.objects.get(message=message)
    assert (record.kind, record.version, record.topic.slug, record.language) == ("playbook", refund_version, "data-overage", "nl")
    assert (record.edit_distance, record.edit_ratio) == (0, 0.0)
    edited = actions.reply(ticket=dutch_ticket, author=agent, body=rendered.text + " Fijne dag nog!", channel="sms", resolution_version=refund_version.pk)
    assert AnswerRecord.objects.get(message=edited).edit_distance == 3


def test_an_exception_reply_carries_the_gesture_sentence(dutch_ticket, agent, refund_version):
    message = actions.reply(
        ticket=dutch_ticket, author=agent, body="Hoi Annelies, we storten de 80 euro terug.", channel="sms",
        resolution_version=refund_version.pk, exception_reason="Above 50 EUR: long-time customer, billing agreed",
    )
    gesture = refund_version.exception_wording["nl"]
    assert message.body == f"Hoi Annelies, we storten de 80 euro terug.\n\n{gesture}"
    message.refresh_from_db()
    assert message.body.endswith(gesture)  # what is stored is what is sent
    record = message.answer_record
    assert (record.kind, record.reason, record.version) == ("exception", "Above 50 EUR: long-time customer, billing agreed", refund_version)


def test_an_exception_needs_a_playbook_answer_and_stores_nothing_without(dutch_ticket, agent):
    with pytest.raises(actions.ActionError, match="exception is made to a playbook answer"):
        actions.reply(ticket=dutch_ticket, author=agent, body="Hoi", channel="sms", exception_reason="goodwill")
    assert not dutch_ticket.messages.filter(direction=Message.Direction.OUT).exists()
    assert AnswerRecord.objects.count() == 0


def test_a_retired_version_is_refused(dutch_ticket, agent, refund_version):
    from resolutions.actions import resolution_retire

    resolution_retire(resolution=refund_version.resolution, by=agent)
    with pytest.raises(actions.ActionError, match="updated or retired"):
        actions.reply(ticket=dutch_ticket, author=agent, body="Hoi", channel="sms", resolution_version=refund_version.pk)
    assert AnswerRecord.objects.count() == 0


def test_off_playbook_with_and_without_a_reason(dutch_ticket, agent):
    with_reason = actions.reply(ticket=dutch_ticket, author=agent, body="Hoi Annelies!", channel="sms", off_playbook_reason="Asked about a shop visit")
    without = actions.reply(ticket=dutch_ticket, author=agent, body="Hoi Annelies, nog even dit.", channel="sms")
    assert (with_reason.answer_record.kind, with_reason.answer_record.reason) == ("off_playbook", "Asked about a shop visit")
    assert (without.answer_record.kind, without.answer_record.reason) == ("off_playbook", "not given")


# --- every outbound path: exactly one AnswerRecord per outbound message ------------------


def _one_record_per_outbound(ticket) -> None:
    outbound = list(ticket.messages.filter(direction=Message.Direction.OUT))
    assert outbound
    for message in outbound:
        assert AnswerRecord.objects.filter(message=message).count() == 1


def test_web_page_reply_records_one_answer(dutch_ticket, agent, refund_version, client):
    client.force_login(agent)
    response = client.post(
        reverse("inbox:reply", args=[dutch_ticket.pk]),
        {"body": "Hoi Annelies, het is teruggestort.", "channel": "web", "resolution_version": refund_version.pk},
    )
    assert response.status_code == 302
    _one_record_per_outbound(dutch_ticket)
    assert AnswerRecord.objects.get().kind == "playbook"


def test_web_page_exception_without_answer_is_a_form_error_and_stores_nothing(dutch_ticket, agent, client):
    client.force_login(agent)
    response = client.post(reverse("inbox:reply", args=[dutch_ticket.pk]), {"body": "Hoi", "channel": "web", "exception_reason": "goodwill"})
    assert response.status_code == 400
    assert "exception is made to a playbook answer" in response.content.decode()
    assert not dutch_ticket.messages.filter(direction=Message.Direction.OUT).exists()


def test_api_reply_records_one_answer(dutch_ticket, agent, refund_version):
    api = APIClient()
    api.force_authenticate(agent)
    response = api.post(
        f"/api/tickets/{dutch_ticket.pk}/reply/",
        {"body": "Hoi Annelies!", "channel": "sms", "resolution_version": refund_version.pk, "exception_reason": "Loyal customer"},
        format="json",
    )
    assert response.status_code == 201, response.content
    _one_record_per_outbound(dutch_ticket)
    assert AnswerRecord.objects.get().kind == "exception"
    bad = api.post(f"/api/tickets/{dutch_ticket.pk}/reply/", {"body": "Hoi", "exception_reason": "x"}, format="json")
    assert bad.status_code == 400 and "exception" in bad.json()["detail"]


def test_sms_reply_records_one_answer(dutch_ticket, agent):
    actions.reply(ticket=dutch_ticket, author=agent, body="Hoi Annelies", channel="sms")
    _one_record_per_outbound(dutch_ticket)


def test_x_reply_records_one_answer(playbook, queue, agent):
    received = actions.receive(
        inbound(
            channel=Channel.X, provider_id=uuid.uuid4().hex[:18], body="@support my bill shows huge data charges?!",
            senders=(Sender(kind="x", value="4242", handle="anna"),), meta={"x_kind": "mention", "tweet_id": "1"},
        )
    )
    ticket = received.message.ticket
    version = Resolution.objects.get(slug="refund-overage").current_version
    actions.reply(ticket=ticket, author=agent, body="Hi, refunded!", channel="x", resolution_version=version.pk)
    _one_record_per_outbound(ticket)
    assert AnswerRecord.objects.get().channel == "x"


def test_logged_outbound_call_records_one_answer(dutch_ticket, agent):
    actions.log_call(
        ticket=dutch_ticket, author=agent, direction=Message.Direction.OUT, outcome="answered",
        duration_seconds=180, summary="Explained the refund", submission_id=uuid.uuid4().hex,
    )
    _one_record_per_outbound(dutch_ticket)
    assert AnswerRecord.objects.get().channel == "phone"
