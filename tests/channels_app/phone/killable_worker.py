"""The Celery app a test's real worker runs (test_worker_killed.py): the
project's own app and settings, with every Redis key it writes under the
test's prefix, so whatever the killed worker leaves behind (its unacked
message) meets no other worker and is deleted by the test."""

from __future__ import annotations

import os

from config.celery import app

app.conf.broker_transport_options = {"global_keyprefix": os.environ["UNISONO_TEST_BROKER_PREFIX"]}
