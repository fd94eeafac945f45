"""Channel key -> outbound adapter. The only place that imports adapters."""

from __future__ import annotations

from importlib import import_module

from channels_app.base import DeliveryError, OutboundAdapter

# Channels whose adapters exist. Phone/SMS and X arrive in their own issues;
# until then a reply on them fails visibly instead of vanishing.
_ADAPTERS: dict[str, str] = {
    "web": "channels_app.webform.outbound",
    "email": "channels_app.webform.outbound",
}


def outbound_for(channel: str) -> OutboundAdapter:
    module_path = _ADAPTERS.get(channel)
    if module_path is None:
        raise DeliveryError(f"The {channel} channel is not configured for sending yet.", permanent=True)
    return import_module(module_path)  # type: ignore[return-value]


def sendable_channels() -> list[str]:
    return list(_ADAPTERS)
