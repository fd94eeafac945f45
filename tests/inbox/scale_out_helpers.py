"""Real Daphne processes for the scale-out test: start, wait, stop; talk HTTP to them.

Nothing here fakes our code: each child is ``python -m daphne config.asgi:application``
with production settings (``config.settings``) pointed at the test database.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
STARTUP_TIMEOUT = 20.0


def free_port() -> int:
    # The OS picks a free port; we release it for Daphne a moment later. A
    # collision in between is possible but would show up as a startup error.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database the test process is using right now
    (``NAME`` is already the test database's name once pytest-django set it up)."""
    user = urllib.parse.quote(settings_dict.get("USER") or "", safe="")
    password = urllib.parse.quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    name = urllib.parse.quote(str(settings_dict["NAME"]), safe="")
    return f"postgresql://{credentials}{host}{port}/{name}"


@dataclass
class DaphneProcess:
    name: str
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def http_base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://{HOST}:{self.port}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"


def _wait_until_listening(server: DaphneProcess, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"Daphne {server.name} exited with {server.process.returncode} before listening:\n{server.log()}"
            )
        try:
            with socket.create_connection((HOST, server.port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"Daphne {server.name} did not listen on port {server.port} in time:\n{server.log()}")


def _stop(server: DaphneProcess) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)


@contextlib.contextmanager
def daphne_processes(names: list[str], env: dict[str, str]) -> Iterator[list[DaphneProcess]]:
    """Start one Daphne per name with ``env``, wait until all accept TCP
    connections, and stop them all on the way out, whatever happened.

    Stopping them is also what closes their database connections: the test
    database must be flushed (transaction=True teardown) and dropped after.
    """
    servers: list[DaphneProcess] = []
    with tempfile.TemporaryDirectory(prefix="unisono-scaleout-") as log_dir:
        try:
            for name in names:
                port = free_port()
                log_path = Path(log_dir) / f"daphne-{name}.log"
                with log_path.open("wb") as log_file:
                    # The child keeps its own copy of the descriptor; a file
                    # (not a pipe) never blocks it when nobody reads.
                    process = subprocess.Popen(
                        [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(port), "config.asgi:application"],
                        cwd=REPO_ROOT,
                        env=env,
                        stdout=log_file,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                    )
                servers.append(DaphneProcess(name=name, port=port, process=process, log_path=log_path))
            deadline = time.monotonic() + STARTUP_TIMEOUT
            for server in servers:
                _wait_until_listening(server, deadline)
            yield servers
        finally:
            for server in servers:
                _stop(server)


class _FormFields(HTMLParser):
    """Collects the named ``<input>`` values of a page (CSRF token, submission id)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "input":
            return
        attributes = dict(attrs)
        if attributes.get("name"):
            self.values[attributes["name"]] = attributes.get("value") or ""


class Browser:
    """A cookie-keeping HTTP client, enough to GET a form and POST it back like a browser."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies = CookieJar()
        # No proxies: the servers are on loopback, whatever the environment says.
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(self.cookies)
        )

    def get(self, path: str) -> tuple[int, str]:
        with self.opener.open(self.base_url + path, timeout=10) as response:
            return response.status, response.read().decode()

    def form_fields(self, path: str) -> dict[str, str]:
        status, html = self.get(path)
        assert status == 200, f"GET {path} answered {status}"
        parser = _FormFields()
        parser.feed(html)
        return parser.values

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        request = urllib.request.Request(
            self.base_url + path,
            data=urllib.parse.urlencode(fields).encode(),
            # Django checks a present Origin against the Host on every unsafe request.
            headers={"Origin": self.base_url, "Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")
