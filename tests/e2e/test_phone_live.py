"""Phone channel, live: an SMS posted (signed) to the live server shows up on
the open ticket; the agent answers by SMS and watches its status change.

The live server is a child process, so ``responses`` cannot intercept its
Twilio calls: the child's REST client is pointed (TWILIO_API_BASE_URL) at a
small fake Twilio API served by this test process. The child reads its
settings from the environment when it starts, so the variables are set when
this module is collected, before any live server exists.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import expect
from twilio.request_validator import RequestValidator

from channels_app.phone.sms import sms_length
from inbox.models import CallbackTask, Message, Ticket
from tests.channels_app.phone.sms_length_cases import SMS_LENGTH_CASES
from tests.e2e.conftest import open_live, was_reloaded

ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "e2e0c1a2b4d5e6f70812a3b4c5d6e7f8"
OUR_NUMBER = "+3197010260000"
CUSTOMER = "+31612345678"
SENT_SID = "SMb7c0a2ce80504485a6f653a7110836f5"
LIVE_WITHIN_MS = 5000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


FAKE_TWILIO_PORT = _free_port()
os.environ.update(
    {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": OUR_NUMBER,
        "TWILIO_API_BASE_URL": f"http://127.0.0.1:{FAKE_TWILIO_PORT}",
    }
)


class FakeTwilio(BaseHTTPRequestHandler):
    """POST /2010-04-01/Accounts/<sid>/Messages.json, answered like Twilio does."""

    created: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        length = int(self.headers.get("Content-Length", 0))
        form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
        if self.path != f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json":
            self.send_response(404)
            self.end_headers()
            return
        FakeTwilio.created.append(form)
        body = json.dumps(
            {
                "account_sid": ACCOUNT_SID, "api_version": "2010-04-01", "body": form.get("Body", ""),
                "direction": "outbound-api", "error_code": None, "error_message": None, "from": form.get("From"),
                "num_media": "0", "num_segments": "1", "sid": SENT_SID, "status": "queued", "to": form.get("To"),
                "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{SENT_SID}.json",
            }
        ).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture(scope="module")
def fake_twilio():
    server = ThreadingHTTPServer(("127.0.0.1", FAKE_TWILIO_PORT), FakeTwilio)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeTwilio.created.clear()
    yield FakeTwilio.created
    server.shutdown()
    server.server_close()


def post_signed(live_url: str, path_and_query: str, data: dict) -> requests.Response:
    url = f"{live_url}{path_and_query}"
    header = RequestValidator(AUTH_TOKEN).compute_signature(url, data)
    return requests.post(url, data=data, headers={"X-Twilio-Signature": header}, timeout=10)


def sms(sid: str, body: str) -> dict:
    return {
        "ToCountry": "NL", "SmsMessageSid": sid, "NumMedia": "0", "SmsSid": sid, "SmsStatus": "received",
        "Body": body, "FromCountry": "NL", "To": OUR_NUMBER, "NumSegments": "1", "MessageSid": sid,
        "AccountSid": ACCOUNT_SID, "From": CUSTOMER, "ApiVersion": "2010-04-01",
    }


def test_an_sms_arrives_live_and_the_sms_reply_shows_its_delivery_live(signed_in_agent, live_url, fake_twilio):
    page = signed_in_agent.page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # Given a customer who texted us, and the agent on their ticket
    assert post_signed(live_url, "/channels/phone/sms/", sms("SM" + "1" * 32, "My internet is down.")).status_code == 200
    ticket = Ticket.objects.get()
    page.goto(f"{live_url}/inbox/t/{ticket.pk}/")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.evaluate("window.__notReloaded = true")

    # When the customer texts again, Then it appears on the open ticket
    assert post_signed(live_url, "/channels/phone/sms/", sms("SM" + "2" * 32, "Still down, lights are red.")).status_code == 200
    expect(page.locator("#thread")).to_contain_text("Still down, lights are red.", timeout=LIVE_WITHIN_MS)

    # When the agent answers on SMS (the reply box counts segments)
    expect(page.locator("#reply-form select[name=channel]")).to_have_value("sms")
    page.fill("#reply-form textarea[name=body]", "Hi Piet, we reset your line. Try again now?")
    expect(page.locator("#sms-counter")).to_have_text("43 characters (GSM-7) · 1 SMS")
    page.get_by_role("button", name="Send reply").click()
    # The new SMS had only flashed by: the stale-reply guard asks to read it
    # first (the draft stays), and the second send goes through.
    expect(page.locator("#live-banners .banner.stale")).to_be_visible(timeout=LIVE_WITHIN_MS)
    page.get_by_role("button", name="Send reply").click()

    # Then Twilio got it once, and the ticket shows it sent
    expect(page.locator("#thread")).to_contain_text("we reset your line", timeout=LIVE_WITHIN_MS)
    reply = Message.objects.get(direction="out")
    badge = page.locator(f"#message-{reply.pk} .badge.delivery")
    expect(badge).to_have_text("Sent", timeout=LIVE_WITHIN_MS)
    assert [form["To"] for form in fake_twilio] == [CUSTOMER]

    # When Twilio reports it delivered, Then the badge changes live
    callback = urlsplit(fake_twilio[0]["StatusCallback"])
    report = {
        "AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "From": OUR_NUMBER, "To": CUSTOMER,
        "MessageSid": SENT_SID, "SmsSid": SENT_SID, "MessageStatus": "delivered", "SmsStatus": "delivered",
    }
    assert post_signed(live_url, f"{callback.path}?{callback.query}", report).status_code == 200
    expect(badge).to_have_text("Delivered", timeout=LIVE_WITHIN_MS)
    assert page.evaluate("window.__notReloaded === true"), "the page was reloaded"
    assert len(fake_twilio) == 1
    assert not errors, errors


def test_the_reply_box_counts_sms_like_the_server_over_the_shared_cases(signed_in_agent, live_url):
    """static/unisono/sms_counter.js and channels_app/phone/sms.py, run over
    the same table (tests/channels_app/phone/sms_length_cases.py): a change
    to one that the other does not follow fails here."""
    page = signed_in_agent.page
    assert post_signed(live_url, "/channels/phone/sms/", sms("SM" + "3" * 32, "Can you text me back?")).status_code == 200
    page.goto(f"{live_url}/inbox/t/{Ticket.objects.get().pk}/")
    page.wait_for_function("typeof window.unisonoSmsLength === 'function'")

    counted = page.evaluate(
        "texts => texts.map(text => { const l = window.unisonoSmsLength(text); return [l.encoding, l.units, l.segments]; })",
        [text for text, *_ in SMS_LENGTH_CASES],
    )

    expected = [[encoding, units, segments] for _, encoding, units, segments in SMS_LENGTH_CASES]
    assert counted == expected
    python = [[length.encoding, length.units, length.segments] for length in (sms_length(text) for text, *_ in SMS_LENGTH_CASES)]
    assert python == expected
    # And what the agent reads under the box is that count
    page.fill("#reply-form textarea[name=body]", "a" * 152 + "^" + "a" * 152)
    expect(page.locator("#sms-counter")).to_have_text("306 characters (GSM-7) · 3 SMS segments")


# --- the call-me-back queue, live ------------------------------------------------------

OVERDUE = re.compile(r"(^|\s)overdue(\s|$)")


def missed_call(sid: str) -> dict:
    return {
        "AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "CallSid": sid, "CallStatus": "no-answer",
        "CallDuration": "0", "Called": OUR_NUMBER, "Caller": CUSTOMER, "CallbackSource": "call-progress-events",
        "Direction": "inbound", "From": CUSTOMER, "SequenceNumber": "0", "To": OUR_NUMBER,
    }


def test_a_callback_request_appears_live_on_the_open_queue_and_leaves_it_when_done(signed_in_agent, live_url, new_context):
    page = signed_in_agent.page

    # Given the agent on the call-me-back queue, nothing waiting
    errors = open_live(page, f"{live_url}/inbox/callbacks/")
    expect(page.locator("#callback-rows")).to_contain_text("No callbacks waiting.")

    # When a customer asks for a call back on the website
    customer = new_context().new_page()
    customer.goto(f"{live_url}/callback/")
    customer.fill('[name="phone"]', "06 1234 5678")
    customer.fill('[name="name"]', "Piet Jansen")
    customer.check('input[name="window"][value="asap"]')
    customer.get_by_role("button", name="Call me back").click()
    customer.wait_for_url(re.compile(r"/callback/thanks/"), timeout=LIVE_WITHIN_MS)

    # Then it appears on the open queue, not overdue (due in 90 minutes)
    row = page.locator("tr.callback-row", has_text=CUSTOMER)
    expect(row).to_be_visible(timeout=LIVE_WITHIN_MS)
    expect(row).to_contain_text("Piet Jansen")
    expect(row).not_to_have_class(OVERDUE)
    expect(row.locator(".overdue-badge")).to_be_hidden()
    task = CallbackTask.objects.get()
    assert row.get_attribute("id") == f"callback-{task.pk}"

    # When a colleague's call is logged for it (in another tab)
    other = page.context.new_page()
    other.goto(f"{live_url}/inbox/t/{task.ticket_id}/log-call/?callback={task.pk}")
    other.fill('[name="summary"]', "Called Piet, line reset, works again.")
    other.get_by_role("button", name="Log call and mark callback done").click()
    other.wait_for_url(re.compile(rf"/inbox/t/{task.ticket_id}/"), timeout=LIVE_WITHIN_MS)

    # Then it leaves the queue live
    expect(row).to_have_count(0, timeout=LIVE_WITHIN_MS)
    expect(page.locator("#callback-rows")).to_contain_text("No callbacks waiting.")
    assert not was_reloaded(page)
    assert not errors, errors


def test_a_callback_turns_overdue_on_the_open_queue_when_its_due_time_passes(signed_in_agent, live_url):
    page = signed_in_agent.page

    # Given a missed call (a callback due in 90 minutes) and the agent on the
    # queue, whose browser clock the test moves on
    assert post_signed(live_url, "/channels/phone/status/", missed_call("CA" + "7" * 32)).status_code == 200
    task = CallbackTask.objects.get()
    page.clock.install()
    errors = open_live(page, f"{live_url}/inbox/callbacks/")
    row = page.locator(f"#callback-{task.pk}")
    expect(row).not_to_have_class(OVERDUE)
    expect(row.locator(".overdue-badge")).to_be_hidden()

    # When 89 minutes pass, it is still on time
    page.clock.fast_forward("01:29:00")
    expect(row).not_to_have_class(OVERDUE)

    # When its due time passes, Then it turns overdue without a reload
    page.clock.fast_forward("00:01:30")
    expect(row).to_have_class(OVERDUE)
    expect(row.locator(".overdue-badge")).to_be_visible()
    expect(row.locator(".overdue-badge")).to_have_text("overdue")
    assert not was_reloaded(page)
    assert not errors, errors
