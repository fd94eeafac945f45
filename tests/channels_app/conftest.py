"""Helpers for the web-form channel tests: post the public forms like a browser would."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from channels_app.base import Sender
from inbox import actions
from inbox.models import Customer, Identity, Message, Ticket
from tests.factories import inbound


@dataclass(frozen=True)
class Counts:
    customers: int
    identities: int
    tickets: int
    messages: int


def counts() -> Counts:
    return Counts(
        customers=Customer.objects.count(),
        identities=Identity.objects.count(),
        tickets=Ticket.objects.count(),
        messages=Message.objects.count(),
    )


def input_tag(html: str, name: str) -> str:
    """The rendered <input> (or <textarea>) tag for the field ``name``."""
    match = re.search(rf'<(?:input|textarea)[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    assert match, f"no input named {name!r} in the page"
    return match.group(0)


class _ClassFinder(HTMLParser):
    """Collects the attributes and text of elements carrying one CSS class."""

    def __init__(self, css_class: str) -> None:
        super().__init__()
        self.css_class = css_class
        self.found: list[Element] = []
        self._open: list[Element] = []
        self._depth: list[int] = []
        self._level = 0

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        matches = self.css_class in (attributes.get("class") or "").split()
        if tag in self.VOID:
            if matches:
                self.found.append(Element(tag=tag, attrs=attributes))
            return
        self._level += 1
        if matches:
            element = Element(tag=tag, attrs=attributes)
            self.found.append(element)
            self._open.append(element)
            self._depth.append(self._level)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if self._depth and self._depth[-1] == self._level:
            self._open.pop()
            self._depth.pop()
        self._level -= 1

    def handle_data(self, data):
        for element in self._open:
            element.text += data


@dataclass
class Element:
    tag: str
    attrs: dict
    text: str = field(default="")


def elements(html: str, css_class: str) -> list[Element]:
    """Elements with ``css_class`` in a page (tests only: our pages close their tags)."""
    finder = _ClassFinder(css_class)
    finder.feed(html)
    return finder.found


def page(response) -> str:
    return response.content.decode()


@pytest.fixture
def post_contact(client, db):
    """POST the contact form; fields override a valid submission."""

    def post(remote_addr: str = "203.0.113.7", **fields):
        data = {
            "submission_id": str(uuid.uuid4()),
            "name": "Anna de Vries",
            "email": "anna@example.org",
            "phone": "",
            "message": "My router keeps dropping the connection.\nSince Monday, every evening.",
            "website": "",
        }
        data.update({key: value for key, value in fields.items()})
        return client.post("/contact/", {k: v for k, v in data.items() if v is not None}, REMOTE_ADDR=remote_addr)

    return post


@pytest.fixture
def post_callback(client, db):
    """POST the call-me-back form; fields override a valid submission."""

    def post(remote_addr: str = "203.0.113.8", **fields):
        data = {
            "submission_id": str(uuid.uuid4()),
            "phone": "06 1234 5678",
            "name": "Piet Jansen",
            "topic": "Internet down",
            "window": "asap",
            "preferred_at": "",
            "website": "",
        }
        data.update(fields)
        return client.post("/callback/", {k: v for k, v in data.items() if v is not None}, REMOTE_ADDR=remote_addr)

    return post


@pytest.fixture
def web_ticket(db):
    """A ticket opened through the contact form by a customer with an email address."""
    received = actions.receive(
        inbound(
            channel="web",
            provider_id=f"form:{uuid.uuid4()}",
            senders=(Sender(kind="email", value="anna@example.org"),),
            name="Anna de Vries",
            body="My router keeps dropping the connection.",
            meta={"form": "contact"},
        )
    )
    return received.message.ticket
