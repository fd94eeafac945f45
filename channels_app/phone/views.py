"""Twilio-format webhooks: /channels/phone/voice/, recording/, status/, sms/.

Each one: 503 when the channel has no credentials; 403 unless the request
carries a valid X-Twilio-Signature for the public URL it was sent to; then
parse, call one inbox action, answer TwiML. Nothing is stored before the
signature checks out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from channels_app.phone import config, inbound, twiml
from inbox import actions, selectors
from inbox.models import Channel

logger = logging.getLogger(__name__)

FORBIDDEN = "Invalid or missing X-Twilio-Signature."


def _twiml(document: str, status: int = 200) -> HttpResponse:
    return HttpResponse(document, content_type="text/xml; charset=utf-8", status=status)


def _text(text: str, status: int) -> HttpResponse:
    return HttpResponse(text, content_type="text/plain; charset=utf-8", status=status)


def twilio_webhook(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    @csrf_exempt
    @require_POST
    @wraps(view)
    def wrapper(request: HttpRequest) -> HttpResponse:
        if not config.can_receive():
            return _text(config.NOT_CONFIGURED, 503)
        if not inbound.signature_is_valid(request):
            logger.warning("phone webhook %s: bad signature from %s", request.path, request.META.get("REMOTE_ADDR"))
            return _text(FORBIDDEN, 403)
        try:
            return view(request)
        except inbound.BadPayload as error:
            return _text(f"Bad request: {error}", 400)
        except actions.ActionError as error:
            return _text(f"Bad request: {error}", 400)

    return wrapper


@twilio_webhook
def voice(request: HttpRequest) -> HttpResponse:
    """An incoming call: greet in the number's language and take a voicemail."""
    called = request.POST.get("To", "")
    # A withheld number still gets the voicemail: the message may say who it
    # is and how to reach them; the greeting just promises no call back.
    withheld = inbound.call_caller(request.POST) is None
    recording_url = config.webhook_url("phone:recording", request=request)
    return _twiml(twiml.voicemail(called_number=called, recording_url=recording_url, withheld=withheld))


@twilio_webhook
def recording(request: HttpRequest) -> HttpResponse:
    """The voicemail (<Record> action) or its transcription: one message per call."""
    data = request.POST
    transcription = inbound.is_transcription(data)
    if not transcription and not (data.get("RecordingSid") or data.get("RecordingUrl")):
        # <Record> heard nothing; the call's status report will count it as missed.
        return _twiml(twiml.empty())
    actions.record_call(inbound=inbound.recording_inbound(data))
    if transcription:
        return _twiml(twiml.empty())
    return _twiml(twiml.thanks(called_number=data.get("To", ""), withheld=inbound.call_caller(data) is None))


@twilio_webhook
def status(request: HttpRequest) -> HttpResponse:
    """Delivery reports of our SMS, and call status reports (missed calls)."""
    data = request.POST
    if data.get("MessageSid") or data.get("SmsSid"):
        return _sms_status(request)
    if data.get("CallSid") and data.get("CallStatus"):
        missed = inbound.missed_call_inbound(data)
        if missed is not None:
            actions.receive(missed)
        return _twiml(twiml.empty())
    return _text("Bad request: neither a message (MessageSid) nor a call (CallSid, CallStatus) status.", 400)


def _sms_status(request: HttpRequest) -> HttpResponse:
    data = request.POST
    reported = inbound.sms_status(data)
    if reported is None:
        return _twiml(twiml.empty())
    sid = data.get("MessageSid") or data.get("SmsSid", "")
    message = selectors.outbound_message_for_report(
        channel=Channel.SMS, provider_id=sid, idempotency_key=request.GET.get("m", "")
    )
    if message is None:
        # Not ours (another app on the same number) or long gone: nothing to
        # update, and an error would only make Twilio log noise.
        logger.info("status report for unknown message %s", sid)
        return _twiml(twiml.empty())
    status_value, detail = reported
    actions.message_provider_status(message=message, status=status_value, detail=detail, provider_id=sid)
    return _twiml(twiml.empty())


@twilio_webhook
def sms(request: HttpRequest) -> HttpResponse:
    """An inbound SMS/MMS: a message on the customer's ticket, once per MessageSid."""
    actions.receive(inbound.sms_inbound(request.POST))
    return _twiml(twiml.empty())
