"""POST /channels/phone/sms/: an inbound SMS is a message on the customer's ticket."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from inbox.models import Customer, Event, Identity, Message, Ticket
from tests.channels_app.phone.conftest import CUSTOMER, payload, signature
from tests.conftest import requires_postgres

SMS = "/channels/phone/sms/"


@pytest.mark.django_db
def test_an_sms_becomes_an_inbound_message_from_the_callers_number(post_twilio):
    response = post_twilio(SMS, payload("sms_inbound"))

    assert response.status_code == 200
    assert "<Response" in response.content.decode()
    message = Message.objects.get()
    assert message.channel == "sms"
    assert message.direction == "in"
    assert message.provider_id == "SM1f0e8ae6ade43cb3c0ce4525424e404f"
    assert message.body == "Hi, my internet has been down since this morning. Can you help?"
    assert message.ticket.origin_channel == "sms"
    assert Identity.objects.get().value == CUSTOMER


@pytest.mark.django_db
def test_a_number_in_local_format_is_stored_in_e164(post_twilio):
    post_twilio(SMS, payload("sms_inbound", From="0612345678"))

    assert Identity.objects.get().value == CUSTOMER


@pytest.mark.django_db
def test_the_same_webhook_three_times_is_one_message(post_twilio):
    answers = [post_twilio(SMS, payload("sms_inbound")).status_code for _ in range(3)]

    assert answers == [200, 200, 200]
    assert Message.objects.count() == 1
    assert Ticket.objects.count() == 1
    assert Event.objects.filter(type="message.created").count() == 1


@pytest.mark.django_db
def test_mms_media_links_are_stored_and_only_the_providers_hosts_are_linked(post_twilio):
    post_twilio(SMS, payload("mms_inbound"))

    message = Message.objects.get()
    media = message.meta["sms"]["media"]
    assert [item["trusted"] for item in media] == [True, False]
    assert media[1]["url"] == "https://attacker.example/steal?x=1"  # kept for the record
    assert "api.twilio.com" in message.body
    assert "attacker.example" not in message.body
    assert "1 attachment(s) on an unexpected host were not linked" in message.body


@pytest.mark.django_db
def test_an_sms_from_a_sender_that_is_not_a_phone_number_is_a_clear_400(post_twilio):
    response = post_twilio(SMS, payload("sms_inbound", From="ACME-SHOP"))

    assert response.status_code == 400
    assert "From" in response.content.decode()
    assert Message.objects.count() == 0
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_an_sms_without_message_sid_is_a_clear_400(post_twilio):
    data = payload("sms_inbound")
    del data["MessageSid"]

    response = post_twilio(SMS, data)

    assert response.status_code == 400
    assert "MessageSid is missing" in response.content.decode()
    assert Message.objects.count() == 0


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_the_same_sms_posted_twice_at_once_and_once_more_is_one_message(twilio_settings, round_):
    data = payload("sms_inbound", MessageSid=f"SMrace{round_:026d}", From=f"+3161234{round_:04d}")
    header = signature(f"http://testserver{SMS}", data)
    barrier = threading.Barrier(2)
    answers: list = []

    def deliver():
        try:
            barrier.wait()
            answers.append(Client().post(SMS, data, HTTP_X_TWILIO_SIGNATURE=header).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    answers.append(Client().post(SMS, data, HTTP_X_TWILIO_SIGNATURE=header).status_code)

    assert answers == [200, 200, 200]
    assert Message.objects.filter(provider_id=data["MessageSid"]).count() == 1
    assert Customer.objects.count() == 1
    assert Event.objects.filter(type="message.created").count() == 1
