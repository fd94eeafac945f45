"""SMS replies through Twilio's REST API (or a Twilio-compatible one).

Called by channels_app.tasks.deliver_message after the message was claimed
(queued -> sending): a replayed task never gets here twice. Twilio has no
idempotency key for creating messages, so the message's own key travels in
the StatusCallback URL instead: if the worker dies after Twilio accepted the
message but before we stored its sid, Twilio's status report still finds our
message and settles it. A message in that state stays "sending", then
"unconfirmed" (inbox.actions.messages_mark_unconfirmed), and is never sent
again automatically: the agent checks and may send it again.
"""

from __future__ import annotations

import logging

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from channels_app.base import DeliveryError
from channels_app.phone import config
from channels_app.phone.inbound import ERROR_TEXT
from inbox import selectors
from inbox.models import Identity, Message

logger = logging.getLogger(__name__)

API_TIMEOUT_SECONDS = 15
NO_NUMBER = "The customer has no phone number on file; answer by email instead."
# Too many requests: Twilio asks us to slow down, a later try can work.
TRANSIENT_HTTP = {429}


class UnconfirmedSend(Exception):
    """The request may have reached Twilio but no answer came back. Not a
    DeliveryError on purpose: retrying could send twice, so the message stays
    "sending" (later "unconfirmed") until Twilio's status report settles it."""


def is_configured() -> bool:
    return config.can_send()


def client() -> Client:
    if not config.can_send():
        raise DeliveryError(config.NOT_CONFIGURED, permanent=True)
    twilio = Client(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        http_client=TwilioHttpClient(timeout=API_TIMEOUT_SECONDS),
    )
    if settings.TWILIO_API_BASE_URL:
        # A compatible provider (or a test's fake) speaks the same API elsewhere.
        twilio.api.base_url = settings.TWILIO_API_BASE_URL
    return twilio


def status_callback_url(message: Message) -> str:
    return config.webhook_url("phone:status", query=f"m={message.idempotency_key}")


def send(message: Message) -> str:
    """Send the reply as an SMS to the customer's number; returns the MessageSid."""
    twilio = client()
    identity = selectors.customer_identity(message.ticket.customer, kind=Identity.Kind.PHONE)
    if identity is None:
        raise DeliveryError(NO_NUMBER, permanent=True)
    sender = (
        {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
        if settings.TWILIO_MESSAGING_SERVICE_SID
        else {"from_": settings.TWILIO_FROM_NUMBER}
    )
    try:
        created = twilio.messages.create(
            to=identity.value, body=message.body, status_callback=status_callback_url(message), **sender
        )
    except (TwilioRestException, TwilioServiceException) as error:
        raise _api_error(error) from error
    except requests.exceptions.ReadTimeout as error:
        logger.error("SMS %s: no answer from Twilio; left unconfirmed until its status report", message.pk)
        raise UnconfirmedSend(f"No answer from Twilio for message {message.pk}: {error}") from error
    except requests.ConnectionError as error:
        raise DeliveryError(f"Twilio could not be reached: {error}", permanent=False) from error
    except TwilioException as error:
        raise DeliveryError(f"Twilio client error: {error}", permanent=True) from error
    return created.sid


def _api_error(error: TwilioRestException | TwilioServiceException) -> DeliveryError:
    """Twilio said no. 5xx and 429 can pass; anything else (an invalid number,
    an unverified sender...) will fail the same way again."""
    status = int(getattr(error, "status", 0) or 0)
    code = str(getattr(error, "code", "") or status)
    if isinstance(error, TwilioServiceException):
        text = error.detail or error.title or ""
    else:
        text = _first_line(error.msg)
    transient = status >= 500 or status in TRANSIENT_HTTP
    # The task shows "<code>: <reason>" to the agent.
    reason = text or ERROR_TEXT.get(code) or f"Twilio answered HTTP {status}"
    return DeliveryError(reason, permanent=not transient, code=code)


def _first_line(text: str) -> str:
    # TwilioRestException.msg carries "Unable to create record: <Twilio's message>".
    text = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return text.removeprefix("Unable to create record: ")
