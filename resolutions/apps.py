from __future__ import annotations

from django.apps import AppConfig


class ResolutionsConfig(AppConfig):
    name = "resolutions"
    default_auto_field = "django.db.models.BigAutoField"
