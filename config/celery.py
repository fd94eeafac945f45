from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("unisono")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Adapter packages keep their tasks beside them (channels_app/social/tasks.py).
app.autodiscover_tasks(["channels_app.social"])
