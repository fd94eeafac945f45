"""Browser tests: Playwright driving Debian's Chromium against a live Daphne.

Everything under tests/e2e is marked ``browser`` and must run in its own pytest
process (``pytest -m browser``; bin/test does this): Playwright's sync API keeps
an event loop running, which breaks async tests that run after it.

The live server is Channels' ``ChannelsLiveServerTestCase`` machinery (Daphne in
a child process, HTTP and websockets), not pytest-django's WSGI ``live_server``.
The child shares the test database: a file on SQLite (settings_test sets
TEST NAME), test_<name> on PostgreSQL. Tests that use it need
``django_db(transaction=True)`` so their rows are committed where the child sees them.
"""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

import pytest
from channels.testing import ChannelsLiveServerTestCase
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from playwright.sync_api import expect

from tests.factories import QueueFactory, UserFactory

E2E_DIR = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
AGENT_PASSWORD = "pw-for-tests-1"  # what tests.factories.UserFactory sets


@pytest.hookimpl(tryfirst=True)  # before `-m` selects on markers
def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _browser_test_process():
    """What a process running browser tests needs, set up only when one runs:
    this conftest is imported by every collection, also ``-m "not browser"``
    runs, and those must keep Django's async safety and the default start method."""
    # Playwright's sync API runs an event loop in this thread; Django's ORM would
    # otherwise refuse to run here ("You cannot call this from an async context").
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # With fork, the child inherits the parent's already-renamed test database
    # settings (it then looks for test_test_<name>, channels#2176) and a broken
    # event loop state: spawn starts it clean from the settings module.
    multiprocessing.set_start_method("spawn", force=True)
    yield


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Debian's Chromium, never a downloaded build. The networking flags keep it
    # from calling home on a machine whose outside network is closed.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@dataclass(frozen=True)
class LiveServer:
    url: str  # http://127.0.0.1:PORT
    ws_url: str  # ws://127.0.0.1:PORT


class _DaphneLiveServer(ChannelsLiveServerTestCase):
    # An IP, not "localhost": Chromium may try ::1 first, where Daphne doesn't listen.
    host = "127.0.0.1"


@pytest.fixture(scope="session")
def channels_live_server(_browser_test_process, django_db_setup) -> LiveServer:
    """One Daphne child process for the session, on the test database."""
    _DaphneLiveServer.setUpClass()
    try:
        port = _DaphneLiveServer._port
        yield LiveServer(url=f"http://{_DaphneLiveServer.host}:{port}", ws_url=f"ws://{_DaphneLiveServer.host}:{port}")
    finally:
        _DaphneLiveServer.tearDownClass()
        _DaphneLiveServer.doClassCleanups()


@pytest.fixture
def live_url(channels_live_server: LiveServer, transactional_db) -> str:
    """Base URL of the live server, for a test whose rows are committed (and
    flushed afterwards) so the server process sees them."""
    return channels_live_server.url


@pytest.fixture
def page(page):
    """Every page fails its test on a JavaScript dialog (alert, confirm...):
    nothing in Unisono opens one, so one means injected script ran."""
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    assert not dialogs, f"a JavaScript dialog opened: {dialogs}"


@dataclass
class SignedIn:
    user: object
    page: object  # playwright.sync_api.Page
    dialogs: list[str]


def _sign_in(context, live_url: str, user) -> None:
    # A real session row, as the login view would write it, handed to the
    # browser as its cookie: no dependency on the login page's markup.
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_url, "httpOnly": True}]
    )


@pytest.fixture
def agent_user(live_url):
    """An agent in the General queue (the queue new tickets land in)."""
    general = QueueFactory(name="General", slug="general")
    return UserFactory(username="sam", first_name="Sam", last_name="Visser", queues=[general])


@pytest.fixture
def agent_password() -> str:
    return AGENT_PASSWORD


@pytest.fixture
def signed_in_agent(new_context, live_url, agent_user) -> SignedIn:
    """The agent, signed in, in a browser context of their own. A JavaScript
    dialog on their page fails the test, as on ``page``."""
    context = new_context()
    _sign_in(context, live_url, agent_user)
    page = context.new_page()
    signed_in = SignedIn(user=agent_user, page=page, dialogs=[])
    page.on("dialog", lambda dialog: (signed_in.dialogs.append(dialog.message), dialog.dismiss()))
    yield signed_in
    assert not signed_in.dialogs, f"a JavaScript dialog opened: {signed_in.dialogs}"


def open_live(page, url: str) -> list[str]:
    """Open an inbox page and wait until its websocket is live. Returns the
    list the page's JavaScript errors collect in; marks the page so that
    ``was_reloaded`` can tell a live update from a reload."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.evaluate("window.__notReloaded = true")
    return errors


def was_reloaded(page) -> bool:
    return not page.evaluate("window.__notReloaded === true")
