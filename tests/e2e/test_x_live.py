"""X end to end: a mention polled from (a fake) X appears live in the inbox,
and the reply written in the composer is posted as a reply to that tweet.

The live server is Daphne in a child process, so ``responses`` cannot reach
it: a small fake X HTTP server runs in this process, and the child's tweepy
is pointed at it with X_API_BASE_URL. The child reads its settings from the
environment when it starts, which is after collection: the X variables are
set when this module is imported (before the session's live server starts).
They only configure an X account that nothing polls unless asked.
"""

from __future__ import annotations

import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from inbox.models import Message

FIXTURES = Path(__file__).resolve().parent.parent / "channels_app" / "social" / "fixtures"
OUR_USER_ID = "2244994945"
MENTION_ID = "1790000000000000102"
LIVE_WITHIN_MS = 5000


class FakeX(BaseHTTPRequestHandler):
    """Answers the four v2 endpoints the connector uses with recorded JSON."""

    posted: list[dict] = []
    mentions_served = 0

    def _send(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-rate-limit-remaining", "179")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server's naming)
        path = self.path.split("?")[0]
        if path == f"/2/users/{OUR_USER_ID}/mentions":
            FakeX.mentions_served += 1
            name = "mentions_page.json" if FakeX.mentions_served == 1 else "mentions_empty.json"
            self._send(200, json.loads((FIXTURES / name).read_text()))
        elif path == "/2/dm_events":
            self._send(200, json.loads((FIXTURES / "dm_events_empty.json").read_text()))
        else:
            self._send(404, {"title": "Not Found Error", "status": 404, "detail": path})

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.path.split("?")[0] == "/2/tweets":
            FakeX.posted.append({"body": body, "authorization": self.headers.get("Authorization", "")})
            self._send(201, json.loads((FIXTURES / "create_tweet.json").read_text()))
        else:
            self._send(404, {"title": "Not Found Error", "status": 404, "detail": self.path})

    def log_message(self, *args):
        pass


_server = ThreadingHTTPServer(("127.0.0.1", 0), FakeX)
os.environ.update({
    "X_API_BASE_URL": f"http://127.0.0.1:{_server.server_address[1]}",
    "X_USER_ID": OUR_USER_ID,
    "X_BEARER_TOKEN": "AAAA-e2e-bearer",
    "X_CONSUMER_KEY": "e2e-consumer-key",
    "X_CONSUMER_SECRET": "e2e-consumer-secret",
    "X_ACCESS_TOKEN": f"{OUR_USER_ID}-e2e-access-token",
    "X_ACCESS_TOKEN_SECRET": "e2e-access-token-secret",
})


@pytest.fixture(scope="module")
def fake_x():
    thread = threading.Thread(target=_server.serve_forever, daemon=True)
    thread.start()
    yield FakeX
    _server.shutdown()


def test_a_polled_mention_appears_live_and_the_reply_answers_that_tweet(fake_x, signed_in_agent, live_url):
    page = signed_in_agent.page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # Given the agent on the live inbox, empty
    page.goto(f"{live_url}/inbox/")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.evaluate("window.__notReloaded = true")
    expect(page.locator("#ticket-rows tr.ticket-row")).to_have_count(0)

    # When the server polls X (as the schedule would; asked for here)
    csrf = next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "csrftoken")
    answer = page.request.post(f"{live_url}/channels/x/poll/", headers={"X-CSRFToken": csrf, "Referer": f"{live_url}/inbox/"})
    assert answer.status == 202, answer.text()

    # Then Anna's mention is in the list without a reload
    anna = Message.objects.get(provider_id=MENTION_ID)
    row = page.locator(f'#ticket-rows tr.ticket-row[data-ticket="{anna.ticket_id}"]')
    expect(row).to_contain_text("Anna de Vries", timeout=LIVE_WITHIN_MS)
    expect(row.locator(".channel")).to_have_text("X")
    assert page.evaluate("window.__notReloaded === true"), "the page was reloaded"

    # When the agent opens it, the composer counts as X does
    row.get_by_role("link", name=anna.ticket.reference).click()
    page.wait_for_url(f"{live_url}/inbox/t/{anna.ticket_id}/")
    expect(page.locator("#reply-form select[name=channel]")).to_have_value("x")
    composer = page.locator("#x-composer")
    expect(composer).to_be_visible()
    # ... the very count the server makes: the Python tests' table, through x_counter.js
    cases = json.loads((FIXTURES / "x_weighted_lengths.json").read_text(encoding="utf-8"))
    counted = page.evaluate("cases => cases.map(([text]) => window.unisonoXWeightedLength(text))", cases)
    assert [[text, count] for (text, _expected), count in zip(cases, counted)] == cases
    text = "Hi Anna, sorry! The outage is fixed: https://status.example.com/incidents/2024-05-13-utrecht-and-more"
    page.locator("#reply-form textarea[name=body]").fill(text)
    expect(page.locator("#x-count")).to_have_text("60 / 280")  # 37 + a link counted as 23

    # A reply over 280 is refused before it leaves the page
    page.locator("#reply-form textarea[name=body]").fill("Sorry! " * 41)
    expect(page.locator("#x-count")).to_have_text("286 / 280")  # 41 × "Sorry! ", the last space trimmed
    page.locator("#reply-form").get_by_role("button", name="Send reply").click()
    expect(page.locator("#reply-status")).to_contain_text("Too long for a public reply on X")
    assert fake_x.posted == []

    # An email address in a public reply gets a warning with the way out to DM
    page.locator("#reply-form textarea[name=body]").fill("Mail us at care@example.org")
    expect(page.locator("#x-warning")).to_be_visible()
    expect(page.locator("#x-warning")).to_contain_text("an email address")
    page.locator("#reply-form textarea[name=body]").fill("Call us back on +31 6 1234 5678")
    expect(page.locator("#x-warning")).to_contain_text("a phone number")
    page.get_by_role("button", name="Send as a DM instead").click()
    expect(page.locator("#reply-form select[name=x_mode]")).to_have_value("dm")
    expect(page.locator("#x-count")).to_have_text("Direct message")
    expect(page.locator("#x-warning")).to_be_hidden()
    page.locator("#reply-form select[name=x_mode]").select_option("")  # back to "as the customer wrote": public

    # When they send a good public reply
    page.locator("#reply-form textarea[name=body]").fill(text)
    expect(page.locator("#x-warning")).to_be_hidden()
    page.locator("#reply-form").get_by_role("button", name="Send reply").click()
    expect(page.locator("#reply-status")).to_have_text(re.compile("Reply queued"), timeout=LIVE_WITHIN_MS)

    # Then X got exactly one tweet, in reply to Anna's
    expect(page.locator("li.message.out .body").last).to_have_text(text)
    assert len(fake_x.posted) == 1
    assert fake_x.posted[0]["body"] == {"text": text, "reply": {"in_reply_to_tweet_id": MENTION_ID}}
    assert fake_x.posted[0]["authorization"].startswith("OAuth ")
    reply = Message.objects.get(ticket=anna.ticket, direction=Message.Direction.OUT)
    assert reply.status == Message.Status.SENT and reply.provider_id == "1790000000000000150"
    assert errors == []
