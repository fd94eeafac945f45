"""Twilio-format webhooks: verify the signature, parse to InboundMessage.

Field names are Twilio's (https://www.twilio.com/docs/messaging/guides/webhook-request,
https://www.twilio.com/docs/usage/webhooks/voice-webhooks): providers that copy
Twilio's format (SignalWire, Telnyx TeXML...) send the same ones.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from twilio.request_validator import RequestValidator

from channels_app.base import InboundMessage, Sender
from channels_app.phone.config import public_url
from inbox import actions
from inbox.identities import InvalidIdentity, normalise_phone
from inbox.models import Channel, Message

SIGNATURE_HEADER = "X-Twilio-Signature"
MAX_MEDIA = 10  # Twilio allows at most 10 media per MMS

WITHHELD_CALLER_IDS = {
    "anonymous", "restricted", "unknown", "unavailable", "blocked", "private", "withheld",
    # The same words on a keypad (ANONYMOUS, RESTRICTED, UNKNOWN, BLOCKED, UNAVAILABLE).
    "+266696687", "+7378742833", "+8656696", "+2562533", "+86282452253",
}

# A call that ended without anyone (or any voicemail) taking it.
MISSED_CALL_STATUSES = {"busy", "no-answer", "canceled", "failed"}
FINAL_CALL_STATUSES = MISSED_CALL_STATUSES | {"completed"}

# Twilio message status -> ours. Everything up to "sending" means Twilio has
# the message, which is what our "sent" means; "read" (WhatsApp) is delivered.
SMS_STATUSES = {
    "accepted": Message.Status.SENT,
    "scheduled": Message.Status.SENT,
    "queued": Message.Status.SENT,
    "sending": Message.Status.SENT,
    "sent": Message.Status.SENT,
    "delivered": Message.Status.DELIVERED,
    "read": Message.Status.DELIVERED,
    "undelivered": Message.Status.UNDELIVERED,
    "failed": Message.Status.FAILED,
    "canceled": Message.Status.FAILED,
}

# The codes agents meet most; others show the code and Twilio's own text.
ERROR_TEXT = {
    "21211": "The 'To' number is not a valid phone number",
    "21610": "The customer replied STOP: this number does not accept our SMS",
    "21614": "The 'To' number is not a mobile number",
    "30003": "Unreachable destination handset (phone off or out of coverage)",
    "30004": "Message blocked by the receiving network",
    "30005": "Unknown destination handset (number not in use)",
    "30006": "Landline or unreachable carrier",
    "30007": "Filtered by the carrier as spam",
    "30008": "Unknown error from the carrier",
}


class BadPayload(ValueError):
    """Signed by Twilio but not something we can use; the message says why."""


def signature_is_valid(request: HttpRequest) -> bool:
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature:
        return False
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    return validator.validate(public_url(request), request.POST, signature)


def error_detail(code: str, message: str = "") -> str:
    text = message or ERROR_TEXT.get(code, "")
    return f"{code}: {text}" if text else f"Twilio error {code}"


def _required(data: QueryDict, name: str) -> str:
    value = data.get(name, "").strip()
    if not value:
        raise BadPayload(f"{name} is missing.")
    return value


def caller(data: QueryDict) -> str:
    """The customer's number in E.164, from ``From``."""
    raw = _required(data, "From")
    try:
        return normalise_phone(raw)
    except InvalidIdentity as error:
        raise BadPayload(f"From {raw!r}: {error}") from None


def is_withheld(raw: str) -> bool:
    """Whether ``From`` says the caller withheld their number. Twilio sends
    the network's word for it, or (older calls, <Dial> legs) that word spelled
    on a phone keypad: +266696687 is ANONYMOUS, +7378742833 RESTRICTED."""
    value = raw.strip().lower()
    return value in WITHHELD_CALLER_IDS or "+" + value.lstrip("+") in WITHHELD_CALLER_IDS


def call_caller(data: QueryDict) -> str | None:
    """The caller's number in E.164, or None when there is none we could call
    back: withheld, or a caller id that is not a phone number. A call comes
    in either way; refusing its webhooks would only make the provider log
    errors and hang up on a customer who may still leave a voicemail."""
    raw = _required(data, "From")
    if is_withheld(raw):
        return None
    try:
        return normalise_phone(raw)
    except InvalidIdentity:
        return None


def _media(data: QueryDict) -> list[dict]:
    try:
        count = min(int(data.get("NumMedia", "0") or 0), MAX_MEDIA)
    except ValueError:
        raise BadPayload("NumMedia is not a number.") from None
    media = []
    for index in range(count):
        url = data.get(f"MediaUrl{index}", "").strip()
        if not url:
            continue
        parts = urlsplit(url)
        media.append(
            {
                "url": url,
                "content_type": data.get(f"MediaContentType{index}", ""),
                # Stored, never fetched by us. Only links on the provider's
                # own media hosts are offered to agents as links.
                "trusted": parts.scheme == "https" and (parts.hostname or "") in settings.TWILIO_MEDIA_HOSTS,
            }
        )
    return media


def sms_inbound(data: QueryDict) -> InboundMessage:
    message_sid = _required(data, "MessageSid")
    number = caller(data)
    text = data.get("Body", "")
    media = _media(data)
    lines = [text.strip()] if text.strip() else []
    trusted = [item for item in media if item["trusted"]]
    if trusted:
        lines.append("Attachments:")
        lines += [f"{item['url']} ({item['content_type'] or 'unknown type'})" for item in trusted]
    if len(trusted) < len(media):
        lines.append(f"{len(media) - len(trusted)} attachment(s) on an unexpected host were not linked.")
    if not lines:
        lines.append("(empty SMS)")
    return InboundMessage(
        channel=Channel.SMS,
        provider_id=message_sid,
        body="\n".join(lines),
        senders=(Sender(kind="phone", value=number),),
        received_at=timezone.now(),
        meta={"sms": {"to": data.get("To", ""), "segments": data.get("NumSegments", ""), "media": media}},
        raw=data.dict(),
    )


def _seconds(data: QueryDict, name: str) -> int | None:
    raw = data.get(name, "").strip()
    if not raw:
        return None
    try:
        return max(0, int(raw))
    except ValueError:
        raise BadPayload(f"{name} is not a number of seconds.") from None


def _call_inbound(data: QueryDict, call: dict, *, callback: dict | None = None) -> InboundMessage:
    call_sid = _required(data, "CallSid")
    number = call_caller(data)
    call = {"sid": call_sid, "direction": "in", "to": data.get("To", ""), **call}
    meta: dict = {"call": call}
    if number is None:
        # Nobody to call back: no identity, no callback task. The call is
        # still a message (a voicemail may say who it was) on a ticket of its
        # own: two withheld callers are not one customer.
        raw = data.get("From", "").strip()
        call["caller"] = "withheld" if is_withheld(raw) else f"unrecognised:{raw[:40]}"
    elif callback is not None:
        meta["callback"] = callback
    body = actions.call_body(call)
    return InboundMessage(
        channel=Channel.PHONE,
        # One message per call: the recording, its transcription and a
        # missed-call report all land on (phone, CallSid).
        provider_id=call_sid,
        body=body,
        senders=(Sender(kind="phone", value=number),) if number else (),
        unidentified=number is None,
        received_at=timezone.now(),
        meta=meta,
        raw=data.dict(),
    )


def recording_inbound(data: QueryDict) -> InboundMessage:
    """The <Record> action (RecordingSid, RecordingUrl, RecordingDuration) or
    its transcribeCallback (TranscriptionSid, TranscriptionText,
    TranscriptionStatus, with RecordingSid/RecordingUrl)."""
    recording = {
        "sid": data.get("RecordingSid", ""),
        "url": data.get("RecordingUrl", ""),
        "duration": _seconds(data, "RecordingDuration"),
    }
    if not recording["sid"] and not recording["url"]:
        raise BadPayload("RecordingSid and RecordingUrl are missing.")
    call: dict = {"outcome": "voicemail", "recording": recording}
    if is_transcription(data):
        call["transcript"] = {
            "sid": data.get("TranscriptionSid", ""),
            "status": data.get("TranscriptionStatus", ""),
            "text": data.get("TranscriptionText", "").strip(),
        }
    return _call_inbound(data, call)


def is_transcription(data: QueryDict) -> bool:
    return bool(data.get("TranscriptionSid") or data.get("TranscriptionStatus"))


def missed_call_inbound(data: QueryDict) -> InboundMessage | None:
    """A call status report: an inbound call that ended without being taken
    becomes a missed-call message with a callback task (none when the number
    was withheld); None otherwise. A 'completed' call that left a voicemail
    already has its message, so receive() finds it and opens no task; a
    voicemail that arrives after this report closes the task
    (inbox.actions.record_call): either order ends the same."""
    status = _required(data, "CallStatus")
    if data.get("Direction", "inbound") != "inbound" or status not in FINAL_CALL_STATUSES:
        return None
    call = {"outcome": "missed", "status": status, "duration": _seconds(data, "CallDuration")}
    return _call_inbound(data, call, callback={"window": "asap", "at": None})


def sms_status(data: QueryDict) -> tuple[str, str] | None:
    """(our status, detail) of a message status callback, None for a status
    we don't track (inbound receiving/received)."""
    raw = (data.get("MessageStatus") or data.get("SmsStatus") or "").strip().lower()
    if not raw:
        raise BadPayload("MessageStatus is missing.")
    status = SMS_STATUSES.get(raw)
    if status is None:
        return None
    code = data.get("ErrorCode", "").strip()
    detail = error_detail(code, data.get("ErrorMessage", "").strip()) if code else ""
    return status, detail
