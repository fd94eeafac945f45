"""Phone channel tests: Twilio-shaped payloads, signed like Twilio signs them.

Payloads live in fixtures/ with Twilio's documented field names. Signatures
come from the real ``twilio`` RequestValidator, never from our own code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses
from twilio.request_validator import RequestValidator

from channels_app.base import Sender
from inbox import actions
from inbox.models import Ticket
from tests.factories import inbound

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "f3c1a2b4d5e6f70812a3b4c5d6e7f809"
OUR_NUMBER = "+3197010260000"
CUSTOMER = "+31612345678"
API_MESSAGES = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


def payload(name: str, **overrides) -> dict:
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def signature(url: str, data: dict, token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, data)


@pytest.fixture
def twilio_settings(settings):
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_FROM_NUMBER = OUR_NUMBER
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_WEBHOOK_BASE_URL = ""
    settings.TWILIO_API_BASE_URL = ""
    settings.TWILIO_NUMBER_LANGUAGES = {OUR_NUMBER: "nl"}
    return settings


@pytest.fixture
def post_twilio(client, twilio_settings):
    """POST a form-encoded webhook as Twilio would: signed for the URL it calls."""

    def post(path: str, data: dict, *, signed_url: str | None = None, token: str = AUTH_TOKEN, sign: bool = True, **extra):
        url = signed_url or f"http://testserver{path}"
        headers = {"HTTP_X_TWILIO_SIGNATURE": signature(url, data, token)} if sign else {}
        return client.post(path, data, **headers, **extra)

    return post


@pytest.fixture
def sms_ticket(queue, twilio_settings) -> Ticket:
    """A customer who texted us, their ticket in the agent's queue."""
    ticket = actions.receive(inbound(channel="sms", senders=(Sender(kind="phone", value=CUSTOMER),), name="Piet")).message.ticket
    Ticket.objects.filter(pk=ticket.pk).update(queue=queue)
    return Ticket.objects.get(pk=ticket.pk)


@pytest.fixture
def twilio_api():
    """Twilio's REST API, intercepted at the HTTP layer."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
