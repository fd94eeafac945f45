"""Admin autodiscovery looks here; the X connector's admin lives with it."""

from __future__ import annotations

from channels_app.social import admin as social_admin  # noqa: F401  (registers the X models)
