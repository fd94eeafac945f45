"""Abuse limits on call-me-back requests hold exactly under concurrency: at most
3 per number per 24 h and 10 per client address per hour. On PostgreSQL with
the configured cache (Redis in CI: REDIS_URL), requests really racing."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection
from django.test import Client

from inbox.models import CallbackTask, Message
from tests.conftest import requires_postgres

pytestmark = [requires_postgres, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(requests: list[dict]) -> list[int]:
    barrier = threading.Barrier(len(requests))
    answers: list = [None] * len(requests)

    def post(index: int, fields: dict) -> None:
        data = {
            "submission_id": str(uuid.uuid4()),
            "name": "",
            "topic": "",
            "window": "asap",
            "preferred_at": "",
            "website": "",
            **{key: value for key, value in fields.items() if key != "ip"},
        }
        try:
            barrier.wait()
            answers[index] = Client().post("/callback/", data, REMOTE_ADDR=fields["ip"]).status_code
        except Exception as error:  # surfaced by the assertion below
            answers[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i, fields)) for i, fields in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(isinstance(answer, int) for answer in answers), answers
    return answers


def test_ten_requests_for_one_number_at_once_from_ten_addresses_accept_exactly_three():
    answers = _race([{"phone": "+31612340001", "ip": f"198.51.100.{i}"} for i in range(10)])

    assert sorted(answers) == [302] * 3 + [429] * 7
    assert CallbackTask.objects.filter(phone="+31612340001").count() == 3
    assert Message.objects.count() == 3


def test_fifteen_requests_at_once_from_one_address_accept_exactly_ten():
    answers = _race([{"phone": f"+3161234{i:04d}", "ip": "198.51.100.77"} for i in range(15)])

    assert sorted(answers) == [302] * 10 + [429] * 5
    assert CallbackTask.objects.count() == 10
