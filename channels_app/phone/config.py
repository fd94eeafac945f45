"""Whether the phone channel is set up, and the public URLs of its webhooks.

Switched on by credentials (DESIGN.md: a channel without them shows as not
configured and never crashes the app).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

NOT_CONFIGURED = (
    "The phone channel is not configured: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN "
    "(and TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID to send SMS)."
)


def can_receive() -> bool:
    """Webhooks can be verified: we hold the token Twilio signs with."""
    return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN)


def can_send() -> bool:
    return can_receive() and bool(settings.TWILIO_FROM_NUMBER or settings.TWILIO_MESSAGING_SERVICE_SID)


def public_url(request: HttpRequest) -> str:
    """The URL Twilio called, which is what it signed. Behind a proxy or TLS
    terminator Django sees another scheme/host: TWILIO_WEBHOOK_BASE_URL says
    the public one."""
    base = settings.TWILIO_WEBHOOK_BASE_URL
    if base:
        return base + request.get_full_path()
    return request.build_absolute_uri()


def webhook_url(name: str, *, request: HttpRequest | None = None, query: str = "") -> str:
    """The public URL of one of our webhooks (phone:voice, phone:status...), for TwiML and API calls."""
    path = reverse(name) + (f"?{query}" if query else "")
    base = settings.TWILIO_WEBHOOK_BASE_URL
    if base:
        return base + path
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.PUBLIC_BASE_URL + path
