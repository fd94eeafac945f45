"""Killing the worker between the Twilio call and the status update does not
send twice: with a real worker process, not a simulation in this one.

A real ``celery worker`` (the project's settings, Redis from REDIS_URL as the
broker, this test's PostgreSQL database) takes the delivery task. A local
fake of Twilio's Messages API records the POST and holds its answer: that
moment the test SIGKILLs the worker, which had claimed the message and handed
it to Twilio but never heard back. Replaying the task (what the broker does
with an unacknowledged task once its visibility timeout passes) sends
nothing; the message stays "sending", the sweep shows it unconfirmed, and
Twilio's status report (which names our message in its URL) settles it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection

from channels_app.base import Sender
from channels_app.tasks import deliver_message
from inbox import actions
from inbox.models import Message
from tests.channels_app.phone.conftest import ACCOUNT_SID, AUTH_TOKEN, CUSTOMER, FIXTURES, OUR_NUMBER, payload
from tests.conftest import ON_POSTGRES
from tests.factories import inbound

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = [
    pytest.mark.skipif(not (ON_POSTGRES and REDIS_URL), reason="needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL)"),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

WAIT_SECONDS = 60  # a worker starts in a few seconds; this only bounds a broken run
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
CREATED = json.loads((FIXTURES / "api_message_created.json").read_text())


class FakeTwilio(ThreadingHTTPServer):
    """Twilio's Messages API that signals each POST it receives and holds its
    answer until the test lets it go."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.posts: list[dict] = []
        self.received = threading.Event()
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeTwilio

    def do_POST(self):  # noqa: N802 (http.server's name)
        form = {key: values[0] for key, values in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
        if self.path != MESSAGES_PATH:
            self.send_error(404)
            return
        self.server.posts.append(form)
        self.server.received.set()
        # Twilio has the message now; the worker waits for the answer it will never read.
        self.server.release.wait(WAIT_SECONDS)
        body = json.dumps({**CREATED, "to": form.get("To"), "body": form.get("Body")}).encode()
        try:
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the worker is gone

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_twilio():
    server = FakeTwilio()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def _test_database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    return f"postgresql://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(fake_twilio):
    """Start a real worker on a queue and key prefix of this test's own; yields
    (process, queue, sender app, log path). Killed and cleaned up afterwards."""
    tag = uuid.uuid4().hex[:12]
    prefix, queue = f"unisono-killtest-{tag}:", f"killtest-{tag}"
    log = Path(tempfile.mkstemp(prefix="unisono-killtest-", suffix=".log")[1])
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",  # a production worker, not the eager test settings
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "UNISONO_TEST_BROKER_PREFIX": prefix,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": OUR_NUMBER,
        "TWILIO_MESSAGING_SERVICE_SID": "",
        "TWILIO_API_BASE_URL": fake_twilio.url,
    }
    command = [
        sys.executable, "-m", "celery", "-A", "tests.channels_app.phone.killable_worker", "worker",
        "--pool", "solo", "--queues", queue, "--hostname", f"killtest-{tag}@%h",
        "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel", "INFO",
    ]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT)
    sender = Celery("killtest-sender", broker=REDIS_URL, set_as_current=False)
    sender.conf.broker_transport_options = {"global_keyprefix": prefix}
    try:
        yield process, queue, sender, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=WAIT_SECONDS)
        sender.close()
        store = redis.Redis.from_url(REDIS_URL)
        for key in store.scan_iter(match=f"{prefix}*"):
            store.delete(key)
        store.close()
        log.unlink(missing_ok=True)


def test_a_worker_killed_after_twilio_took_the_message_never_sends_it_twice(worker, fake_twilio, agent, post_twilio, twilio_settings):
    process, queue, sender, log = worker
    # A replay in this process would reach the same fake Twilio, and be counted.
    twilio_settings.TWILIO_API_BASE_URL = fake_twilio.url

    # Given a reply stored for delivery (as inbox.actions.reply stores it)
    ticket = actions.receive(inbound(channel="sms", senders=(Sender(kind="phone", value=CUSTOMER),), name="Piet")).message.ticket
    message = Message.objects.create(
        ticket=ticket, direction="out", channel="sms", author=agent, body="Hi Piet, we reset your line.",
        status=Message.Status.QUEUED,
    )

    # When the worker delivers it, and dies the moment Twilio has it
    sender.send_task("channels_app.tasks.deliver_message", args=[message.pk], queue=queue)
    assert fake_twilio.received.wait(WAIT_SECONDS), f"Twilio got no request; worker log:\n{log.read_text()}"
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=WAIT_SECONDS) == -signal.SIGKILL
    fake_twilio.release.set()

    message.refresh_from_db()
    assert message.status == Message.Status.SENDING  # claimed, never settled
    assert message.provider_id is None
    assert message.delivery_attempts == 1

    # Then the replayed task sends nothing
    assert deliver_message.apply(args=[message.pk]).get(timeout=WAIT_SECONDS) == "skipped"
    assert len(fake_twilio.posts) == 1
    form = fake_twilio.posts[0]
    assert (form["To"], form["Body"]) == (CUSTOMER, "Hi Piet, we reset your line.")

    # And the agent is told, once the limit passes, that nobody confirmed it
    message.refresh_from_db()
    actions.messages_mark_unconfirmed(now=message.claimed_at + timedelta(minutes=settings.UNISONO_UNCONFIRMED_AFTER_MINUTES + 1))
    message.refresh_from_db()
    assert message.status == Message.Status.UNCONFIRMED

    # And Twilio's status report, which names our message in its URL, settles it
    callback = urlsplit(form["StatusCallback"])
    path = f"{callback.path}?{callback.query}"
    report = payload("sms_status")
    assert post_twilio(path, report, signed_url=f"http://testserver{path}").status_code == 200
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    assert message.provider_id == report["MessageSid"]
    assert len(fake_twilio.posts) == 1
