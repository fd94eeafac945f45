from __future__ import annotations

from django.apps import AppConfig


class ChannelsAppConfig(AppConfig):
    name = "channels_app"
    label = "channels_app"
    verbose_name = "Channels"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The embedded default has no Celery beat: run the periodic schedule
        # in-process beside Daphne (config/schedule.py says when it may start).
        from config.schedule import should_run_embedded, start_embedded_scheduler

        if should_run_embedded():
            start_embedded_scheduler()
