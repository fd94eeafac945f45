"""The periodic schedule: Celery beat in production, an in-process thread in
the embedded default, and never a second scheduler where it doesn't belong."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings

from config.schedule import run_entry, should_run_embedded
from inbox.models import Message
from tests.channels_app.social.conftest import serve_polls

DAPHNE = ["/work/venv/bin/daphne", "config.asgi:application"]


def test_beat_polls_x_with_the_configured_period():
    entry = settings.CELERY_BEAT_SCHEDULE["poll-x"]
    assert entry["task"] == "channels_app.social.tasks.poll_x"
    assert entry["schedule"] == float(settings.X_POLL_SECONDS)


@pytest.mark.parametrize(
    ("argv", "environ", "modules", "expected"),
    [
        (DAPHNE, {}, {}, True),
        (["manage.py", "runserver"], {"RUN_MAIN": "true"}, {}, True),
        (["manage.py", "runserver"], {}, {}, False),  # the autoreloader's parent
        (DAPHNE, {"REDIS_URL": "redis://127.0.0.1:6379/0"}, {}, False),  # beat's job then
        (DAPHNE, {"UNISONO_EMBEDDED_SCHEDULER": "0"}, {}, False),
        (["manage.py", "migrate"], {}, {}, False),
        (["celery", "-A", "config", "worker"], {}, {}, False),
        (DAPHNE, {}, {"pytest": object()}, False),  # tests, live servers included
    ],
)
def test_the_embedded_scheduler_starts_only_beside_the_embedded_server(argv, environ, modules, expected):
    assert should_run_embedded(argv=argv, environ=environ, modules=modules) is expected


def test_it_does_not_start_in_this_test_process():
    assert should_run_embedded() is False


@pytest.mark.django_db(transaction=True)
def test_an_embedded_round_runs_the_same_task_that_beat_runs(x_settings, x_api):
    serve_polls(x_api, mentions="mentions_page.json")

    # In the scheduler's own thread, with its own database connection
    thread = threading.Thread(target=run_entry, args=[settings.CELERY_BEAT_SCHEDULE["poll-x"]["task"]])
    thread.start()
    thread.join(timeout=20)

    assert Message.objects.filter(channel="x").count() == 2
