"""channels_app's own tables live with the adapter that needs them."""

from __future__ import annotations

from channels_app.social.models import XChannelHealth, XCursor, XGapAlert

__all__ = ["XChannelHealth", "XCursor", "XGapAlert"]
