from __future__ import annotations

from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "care"
    verbose_name = "Care loop"
    default_auto_field = "django.db.models.BigAutoField"
