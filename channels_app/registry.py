"""Channel key -> outbound adapter. The only place that imports adapters."""

from __future__ import annotations

from importlib import import_module

from channels_app.base import DeliveryError, OutboundAdapter

# Channels whose adapters exist. Phone/SMS and X arrive in their own issues;
# until then a reply on them fails visibly instead of vanishing.
_ADAPTERS: dict[str, str] = {
    "web": "channels_app.webform.outbound",
    "email": "channels_app.webform.outbound",
    "x": "channels_app.social.outbound",
    "sms": "channels_app.phone.outbound",
}
# Channels that take no replies through an adapter but still depend on
# credentials (a phone call is logged by the agent, not sent).
_RECEIVE_ONLY: dict[str, str] = {
    "phone": "channels_app.phone.config",
}


def outbound_for(channel: str) -> OutboundAdapter:
    module_path = _ADAPTERS.get(channel)
    if module_path is None:
        raise DeliveryError(f"The {channel} channel is not configured for sending yet.", permanent=True)
    return import_module(module_path)  # type: ignore[return-value]


def sendable_channels() -> list[str]:
    return [channel for channel in _ADAPTERS if is_configured(channel)]


def is_configured(channel: str) -> bool:
    """Whether the channel has what it needs (credentials) to work. Adapters
    without ``is_configured`` need nothing; phone looks at its webhook credentials."""
    if channel in _RECEIVE_ONLY:
        return bool(import_module(_RECEIVE_ONLY[channel]).can_receive())
    module_path = _ADAPTERS.get(channel)
    if module_path is None:
        return False
    check = getattr(import_module(module_path), "is_configured", None)
    return bool(check()) if check is not None else True


def validate_reply(*, channel: str, body: str, ticket, meta: dict) -> dict:
    """Let the channel refuse a reply before it is stored (ActionError), e.g.
    a public X reply over 280 characters. Returns the meta to store with the
    message; adapters without ``validate_reply`` accept everything."""
    module_path = _ADAPTERS.get(channel)
    if module_path is None:
        return meta
    validate = getattr(import_module(module_path), "validate_reply", None)
    return validate(body=body, ticket=ticket, meta=meta) if validate is not None else meta
