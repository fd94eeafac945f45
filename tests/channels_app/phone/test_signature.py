"""Every phone webhook checks X-Twilio-Signature against the public URL."""

from __future__ import annotations

import pytest

from inbox.models import CallbackTask, Message
from tests.channels_app.phone.conftest import AUTH_TOKEN, payload, signature

pytestmark = pytest.mark.django_db

SMS = "/channels/phone/sms/"
WEBHOOKS = [
    ("/channels/phone/sms/", "sms_inbound"),
    ("/channels/phone/voice/", "voice_incoming"),
    ("/channels/phone/recording/", "recording_action"),
    ("/channels/phone/status/", "call_status_no_answer"),
]


def nothing_stored() -> bool:
    return Message.objects.count() == 0 and CallbackTask.objects.count() == 0


def test_a_correctly_signed_sms_is_accepted(post_twilio):
    response = post_twilio(SMS, payload("sms_inbound"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert Message.objects.count() == 1


@pytest.mark.parametrize(("path", "fixture"), WEBHOOKS)
def test_a_tampered_body_is_refused(client, twilio_settings, path, fixture):
    data = payload(fixture)
    header = signature(f"http://testserver{path}", data)
    data["From"] = "+31687654321"  # changed after Twilio signed it

    response = client.post(path, data, HTTP_X_TWILIO_SIGNATURE=header)

    assert response.status_code == 403
    assert "X-Twilio-Signature" in response.content.decode()
    assert nothing_stored()


@pytest.mark.parametrize(("path", "fixture"), WEBHOOKS)
def test_a_signature_made_with_another_token_is_refused(post_twilio, path, fixture):
    response = post_twilio(path, payload(fixture), token="0" * 32)

    assert response.status_code == 403
    assert nothing_stored()


@pytest.mark.parametrize(("path", "fixture"), WEBHOOKS)
def test_a_request_without_the_header_is_refused(post_twilio, path, fixture):
    response = post_twilio(path, payload(fixture), sign=False)

    assert response.status_code == 403
    assert nothing_stored()


def test_a_signature_for_another_url_is_refused(post_twilio):
    # Valid for /voice/, replayed against /sms/.
    response = post_twilio(SMS, payload("sms_inbound"), signed_url="http://testserver/channels/phone/voice/")

    assert response.status_code == 403
    assert nothing_stored()


def test_a_signature_for_another_query_string_is_refused(client, twilio_settings):
    data = payload("sms_status")
    header = signature("http://testserver/channels/phone/status/?m=one", data)

    response = client.post("/channels/phone/status/?m=two", data, HTTP_X_TWILIO_SIGNATURE=header)

    assert response.status_code == 403


def test_behind_a_proxy_the_public_base_url_is_what_is_validated(post_twilio, twilio_settings):
    # Twilio called https://care.example.com/...; the TLS terminator forwarded
    # it to us as http://testserver/...
    twilio_settings.TWILIO_WEBHOOK_BASE_URL = "https://care.example.com"

    response = post_twilio(SMS, payload("sms_inbound"), signed_url="https://care.example.com/channels/phone/sms/")

    assert response.status_code == 200
    assert Message.objects.count() == 1


def test_behind_a_proxy_without_the_base_url_the_public_signature_does_not_match(post_twilio):
    response = post_twilio(SMS, payload("sms_inbound"), signed_url="https://care.example.com/channels/phone/sms/")

    assert response.status_code == 403
    assert nothing_stored()


def test_with_the_base_url_set_the_internal_url_no_longer_passes(post_twilio, twilio_settings):
    twilio_settings.TWILIO_WEBHOOK_BASE_URL = "https://care.example.com"

    response = post_twilio(SMS, payload("sms_inbound"))  # signed for http://testserver/...

    assert response.status_code == 403


@pytest.mark.parametrize(("path", "fixture"), WEBHOOKS)
def test_without_credentials_webhooks_answer_503_and_the_app_keeps_working(client, settings, path, fixture):
    settings.TWILIO_ACCOUNT_SID = ""
    settings.TWILIO_AUTH_TOKEN = ""
    data = payload(fixture)

    response = client.post(path, data, HTTP_X_TWILIO_SIGNATURE=signature(f"http://testserver{path}", data, AUTH_TOKEN))

    assert response.status_code == 503
    assert "not configured" in response.content.decode()
    assert nothing_stored()
    assert client.get("/callback/").status_code == 200


def test_webhooks_only_take_post(post_twilio, client):
    assert client.get(SMS).status_code == 405
