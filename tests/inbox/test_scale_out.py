"""Scale-out: two Daphne processes share the Redis channel layer.

A customer posts the contact form to process A; an agent's websocket is open
on process B. The frames must reach B's client, because the broadcast goes
through Redis, not through A's memory (DESIGN.md, "Scale").

The children run the production settings against the test database and one
Redis, under a channel prefix unique to this run: stale groups of other runs
can't interfere, and the test process itself (which uses the default prefix)
can't be the one delivering the frame.
"""

from __future__ import annotations

import json
import os
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from websockets.sync.client import connect

from inbox.models import Message, Queue, Ticket
from tests.conftest import requires_postgres
from tests.factories import UserFactory
from tests.inbox.scale_out_helpers import Browser, daphne_processes, database_url

# Two processes share one database, so an in-memory SQLite database won't do,
# and without Redis there is nothing to share the broadcasts.
requires_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="needs Redis (set REDIS_URL); CI runs it with PostgreSQL and Redis",
)

pytestmark = [pytest.mark.django_db(transaction=True), requires_postgres, requires_redis]

FRAME_TIMEOUT = 5.0


def _children_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            # The production settings: what a real deployment's processes run.
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url(connection.settings_dict),
            "REDIS_URL": os.environ["REDIS_URL"],
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CHANNEL_PREFIX": f"unisono-scaleout-{uuid.uuid4().hex[:12]}",
            # Keep the contact form's side work (mail, tasks) inside the child
            # and off the shared broker; the broadcast doesn't go through Celery.
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            # No persistent connections: nothing lingers into the flush at teardown.
            "DEBUG": "false",
        }
    )
    env.pop("EMAIL_HOST", None)  # it would switch the children to SMTP
    return env


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def _frames_until(websocket, wanted: set[str], timeout: float) -> list[dict]:
    """Frames received until every wanted type was seen or time ran out."""
    frames: list[dict] = []
    deadline = time.monotonic() + timeout
    while wanted - {frame["type"] for frame in frames}:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            frames.append(json.loads(websocket.recv(timeout=remaining)))
        except TimeoutError:
            break
    return frames


def test_contact_form_posted_to_one_process_reaches_an_agent_connected_to_another():
    # Given an agent of the queue inbound tickets land in, signed in
    general, _ = Queue.objects.get_or_create(slug="general", defaults={"name": "General"})
    agent = UserFactory(queues=[general])
    cookie = _session_cookie(agent)
    marker = uuid.uuid4().hex

    with daphne_processes(["A", "B"], _children_env()) as (server_a, server_b):
        try:
            # ... and their inbox socket open on process B
            with connect(
                f"{server_b.ws_base}/ws/inbox/",
                origin=server_b.http_base,
                additional_headers={"Cookie": cookie},
                open_timeout=10,
                proxy=None,
            ) as websocket:
                # When a customer posts the contact form to process A
                customer = Browser(server_a.http_base)
                fields = customer.form_fields("/contact/")
                status, page = customer.post_form(
                    "/contact/",
                    {
                        "csrfmiddlewaretoken": fields["csrfmiddlewaretoken"],
                        "submission_id": fields["submission_id"],
                        "name": "Fenna de Vries",
                        "email": "fenna@example.org",
                        "phone": "",
                        "message": f"My router keeps dropping the line. ({marker})",
                        "website": "",
                    },
                )
                assert status == 200, f"contact form answered {status}:\n{page[:2000]}"
                message = Message.objects.filter(body__contains=marker).first()
                assert message is not None, f"the contact form stored nothing:\n{page[:2000]}"

                # Then the agent's client on process B gets the new ticket and its message
                frames = _frames_until(websocket, {"ticket.created", "message.created"}, FRAME_TIMEOUT)
        except Exception:
            print(f"--- Daphne A log ---\n{server_a.log()}\n--- Daphne B log ---\n{server_b.log()}")
            raise

    by_type = {frame["type"]: frame for frame in frames}
    assert set(by_type) == {"ticket.created", "message.created"}, f"frames on B: {frames}"
    assert by_type["ticket.created"]["ticket"] == message.ticket_id
    assert by_type["message.created"]["ticket"] == message.ticket_id
    assert by_type["message.created"]["data"]["body"] == message.body
    assert Ticket.objects.get(pk=message.ticket_id).queue == general
