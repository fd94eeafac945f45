"""How long from a customer's contact-form POST to the frame on every agent's socket?

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/unisono_live REDIS_URL=redis://127.0.0.1:6379/3 \
        SECRET_KEY=x python bench/live_latency.py [--agents 200] [--rate 100] [--seconds 30] [--daphne 2]

Migrates the (dedicated!) database and empties its inbox tables, creates
``--agents`` agents in the "general" queue (where new tickets land) with a
session each, starts ``--daphne`` Daphne processes on one Redis channel layer,
opens one ``/ws/inbox/`` socket per agent spread over the processes (read by
``--readers`` client processes, so the client is not the bottleneck), then for
``--seconds`` sends ``--rate`` contact-form submissions per second, spread over
the processes: a GET (CSRF cookie + token, submission id) and a POST, with a
new customer each time and a unique marker in the message.

Latency is from just before the POST to the arrival, at each socket, of the
``message.created`` frame whose body holds the marker. After a 5 s drain, lost
= frames expected (accepted posts x connected sockets) - frames received.
Daphne RSS is VmRSS from /proc at the end. All child processes are stopped on
the way out, whatever happened.

Target (issue): p99 <= 150 ms, nothing lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _stack  # noqa: E402

HOST = "127.0.0.1"
DRAIN_SECONDS = 5.0
STARTUP_TIMEOUT = 30.0
TARGET_P99_MS = 150.0
AGENT_PREFIX = "bench-live-"
CHANNEL_PREFIX = "unisono-bench-live"
MARKER_PREFIX = "bench-marker-"
MARKER_RE = re.compile(MARKER_PREFIX + r"([0-9a-f]{32})")
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUBMISSION_RE = re.compile(r'name="submission_id" value="([^"]+)"')


# --- setup (Django, in the parent only) ----------------------------------------------


def create_agents(count: int) -> list[str]:
    """``count`` agents in the default queue, each with a fresh session; returns the session keys."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    from inbox.actions import default_queue

    User = get_user_model()
    queue = default_queue()
    # The database is dedicated to this benchmark: old sessions are leftovers.
    Session.objects.all().delete()
    existing = {user.username: user for user in User.objects.filter(username__startswith=AGENT_PREFIX)}
    missing = [f"{AGENT_PREFIX}{n}" for n in range(count) if f"{AGENT_PREFIX}{n}" not in existing]
    for user in User.objects.bulk_create([User(username=name, first_name="Agent", last_name=name[-4:]) for name in missing]):
        existing[user.username] = user
    agents = [existing[f"{AGENT_PREFIX}{n}"] for n in range(count)]
    queue.members.add(*agents)
    keys = []
    for user in agents:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        keys.append(session.session_key)
    return keys


def clear_channel_layer(redis_url: str) -> None:
    """Forget groups left by an earlier run's Daphnes (killed processes never
    leave their groups, and the layer would keep pushing frames to them)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    stale = list(client.scan_iter(match=f"{CHANNEL_PREFIX}*", count=1000))
    if stale:
        client.delete(*stale)
    client.close()


# --- Daphne --------------------------------------------------------------------------


@dataclass
class Daphne:
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def http(self) -> str:
        return f"http://{HOST}:{self.port}"

    def rss_mb(self) -> float:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_daphne(count: int, log_dir: Path, servers: list[Daphne]) -> None:
    """Start ``count`` Daphnes, appending each to ``servers`` as soon as it
    exists (so the caller's finally stops it), and wait until they serve."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ALLOWED_HOSTS": HOST,
        "UNISONO_FORM_THROTTLE_PER_IP_HOUR": "100000000",
        "UNISONO_FORM_THROTTLE_PER_CONTACT_DAY": "100000000",
        # Our own channel-layer prefix: other processes on the same Redis
        # (tests, a dev server) never see our groups, nor we theirs.
        "CHANNEL_PREFIX": CHANNEL_PREFIX,
    }
    env.pop("UNISONO_THREAD_WINDOW_HOURS", None)  # the default threading window
    for n in range(count):
        port = free_port()
        log_path = log_dir / f"daphne-{n}.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(port), "config.asgi:application"],
                cwd=_stack.REPO_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        servers.append(Daphne(port=port, process=process, log_path=log_path))
    deadline = time.monotonic() + STARTUP_TIMEOUT
    for server in servers:
        while True:
            if server.process.poll() is not None:
                raise SystemExit(f"bench: Daphne on {server.port} exited:\n{server.log_path.read_text(errors='replace')}")
            try:
                with socket.create_connection((HOST, server.port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"bench: Daphne on {server.port} did not start in {STARTUP_TIMEOUT:g} s")
                time.sleep(0.1)


def stop_daphne(servers: list[Daphne]) -> None:
    for server in servers:
        if server.process.poll() is None:
            server.process.terminate()
    for server in servers:
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)


# --- socket readers (child processes: no Django here) --------------------------------


def reader_main(sockets: list[tuple[str, str, str]], ready, stop, results) -> None:
    """Open every (url, origin, session key) socket, report how many are open,
    record the arrival time (time.monotonic, which is system-wide on Linux) of
    each marked message.created frame until ``stop`` is set, then send back
    {marker: [arrival, ...]}."""
    asyncio.run(_read_sockets(sockets, ready, stop, results))


async def _read_sockets(sockets, ready, stop, results) -> None:
    from websockets.asyncio.client import connect

    arrivals: dict[str, list[float]] = {}
    closed_early = 0
    # A few handshakes at a time: each costs Daphne some database queries
    # (session, user, queues), and Daphne drops a handshake not done in 5 s.
    gate = asyncio.Semaphore(5)

    async def open_socket(url: str, origin: str, session_key: str):
        async with gate:
            for attempt in range(3):
                try:
                    return await connect(url, origin=origin, additional_headers={"Cookie": f"sessionid={session_key}"},
                                         open_timeout=20, max_queue=None)
                except Exception as error:  # noqa: BLE001 - retried, then counted and reported
                    if attempt == 2:
                        print(f"bench: websocket {url} failed: {error!r}", file=sys.stderr)
                    await asyncio.sleep(0.5)
            return None

    async def read(ws) -> None:
        nonlocal closed_early
        try:
            async for raw in ws:
                if '"message.created"' not in raw:
                    continue
                arrived = time.monotonic()
                frame = json.loads(raw)
                if frame.get("type") != "message.created":
                    continue
                found = MARKER_RE.search(frame.get("data", {}).get("body", ""))
                if found:
                    arrivals.setdefault(found.group(1), []).append(arrived)
        except Exception:  # noqa: BLE001
            pass
        if not stop.is_set():
            closed_early += 1

    connections = [ws for ws in await asyncio.gather(*(open_socket(*spec) for spec in sockets)) if ws is not None]
    readers = [asyncio.create_task(read(ws)) for ws in connections]
    ready.put(len(connections))
    while not stop.is_set():
        await asyncio.sleep(0.1)
    for ws in connections:
        await ws.close()
    await asyncio.gather(*readers, return_exceptions=True)
    results.put({"arrivals": arrivals, "closed_early": closed_early})


# --- the customers (the parent's event loop) -----------------------------------------


@dataclass
class Sent:
    marker: str
    post_started: float = 0.0
    get_ms: float = 0.0
    post_ms: float = 0.0
    status: int = 0
    error: str = ""


class ConnectionGuard:
    """Watches, from a thread with its own connection opened up front, how
    many connections the Daphnes hold on the benchmark's database, and trips
    before they starve everyone else on a shared PostgreSQL server
    (max_connections is server-wide)."""

    def __init__(self, url: str, limit: int) -> None:
        import threading

        import psycopg

        self.limit = limit
        self.peak = 0
        self.tripped = threading.Event()
        self._done = threading.Event()
        self._name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.lstrip("/"))
        self._conn = psycopg.connect(url, autocommit=True)
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.wait(0.2):
            count = self._conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [self._name]
            ).fetchone()[0]
            self.peak = max(self.peak, count)
            if count > self.limit:
                self.tripped.set()

    def close(self) -> None:
        self._done.set()
        self._thread.join(timeout=5)
        self._conn.close()


async def send_all(bases: list[str], rate: float, seconds: float, run_id: str, guard: ConnectionGuard,
                   warmup: int = 0) -> list[Sent]:
    import aiohttp

    total = int(rate * seconds)
    sent = [Sent(marker=uuid.uuid4().hex) for _ in range(total)]
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=60)
    # Each submission is a new visitor: cookies are handled by hand, not shared.
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()) as http:

        async def submit(n: int, record: Sent) -> None:
            base = bases[n % len(bases)]
            try:
                started = time.monotonic()
                async with http.get(f"{base}/contact/") as response:
                    page = await response.text()
                    csrf_cookie = response.cookies["csrftoken"].value
                record.get_ms = (time.monotonic() - started) * 1000
                form = {
                    "csrfmiddlewaretoken": CSRF_RE.search(page).group(1),
                    "submission_id": SUBMISSION_RE.search(page).group(1),
                    "name": f"Live Customer {n}",
                    "email": f"live-{run_id}-{n}@example.com",
                    "phone": "",
                    "message": f"My line is down since this morning. {MARKER_PREFIX}{record.marker}",
                    "website": "",
                }
                record.post_started = time.monotonic()
                async with http.post(f"{base}/contact/", data=form, allow_redirects=False,
                                     headers={"Cookie": f"csrftoken={csrf_cookie}"}) as response:
                    await response.read()
                    record.status = response.status
                record.post_ms = (time.monotonic() - record.post_started) * 1000
            except Exception as error:  # noqa: BLE001 - counted and reported
                record.error = repr(error)

        if warmup:
            # Not measured: a fresh Daphne's first requests load templates and
            # URL patterns and open its pooled database connections.
            await asyncio.gather(*(submit(n, Sent(marker=uuid.uuid4().hex)) for n in range(-warmup * len(bases), 0)))

        tasks = []
        progress = _stack.Progress("posting", total)
        t0 = time.monotonic()
        for n, record in enumerate(sent):
            # Open-loop: submissions go out on schedule whether or not the
            # server kept up, as customers would.
            delay = t0 + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if guard.tripped.is_set():
                print(f"\nbench: stopped sending: the Daphnes hold {guard.peak} database connections "
                      f"(limit {guard.limit}, --max-db-connections)", file=sys.stderr)
                break
            tasks.append(asyncio.create_task(submit(n, record)))
            progress.advance()
        await asyncio.gather(*tasks)
        progress.finish()
    # Submissions never started (the guard stopped the run) are not counted as sent.
    return sent[: len(tasks)]


# --- main ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--rate", type=float, default=100.0, help="submissions per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--daphne", type=int, default=2, help="Daphne processes")
    parser.add_argument("--readers", type=int, default=2, help="client processes reading the sockets")
    parser.add_argument("--warmup", type=int, default=8,
                        help="unmeasured submissions per Daphne, all at once, before the timed run")
    parser.add_argument("--max-db-connections", type=int, default=40,
                        help="stop sending when the Daphnes hold more connections than this on the database")
    args = parser.parse_args()

    url = _stack.require_postgres()
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url.startswith(("redis://", "rediss://")):
        print("bench: REDIS_URL must be a redis:// URL (frames cross Daphne processes through Redis)", file=sys.stderr)
        raise SystemExit(2)
    _stack.ensure_database(url)
    clear_channel_layer(redis_url)
    _stack.setup_django()
    _stack.migrate()
    _stack.wipe_inbox_tables()
    session_keys = create_agents(args.agents)
    from django.db import connections

    connections.close_all()  # the children get their own

    servers: list[Daphne] = []
    readers: list[multiprocessing.Process] = []
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    ready, results = context.Queue(), context.Queue()
    run_id = uuid.uuid4().hex[:8]
    # Kept after the run: the Daphne logs are where a 500 or a slow start shows.
    log_dir = tempfile.mkdtemp(prefix="unisono-bench-live-")
    try:
        start_daphne(args.daphne, Path(log_dir), servers)
        print(f"bench: {len(servers)} Daphne on ports {', '.join(str(s.port) for s in servers)}", file=sys.stderr)
        specs = [
            (f"ws://{HOST}:{servers[n % len(servers)].port}/ws/inbox/", f"http://{HOST}:{servers[n % len(servers)].port}", key)
            for n, key in enumerate(session_keys)
        ]
        shares = [specs[n :: args.readers] for n in range(args.readers)]
        for share in shares:
            process = context.Process(target=reader_main, args=(share, ready, stop, results), daemon=True)
            process.start()
            readers.append(process)
        connected = sum(ready.get(timeout=120) for _ in readers)
        print(f"bench: {connected}/{args.agents} sockets open", file=sys.stderr)

        guard = ConnectionGuard(url=url, limit=args.max_db_connections)
        try:
            sent = asyncio.run(send_all([s.http for s in servers], args.rate, args.seconds, run_id, guard, args.warmup))
            # Tripped: stop the Daphnes now (below) to hand the connections back.
            if not guard.tripped.is_set():
                time.sleep(DRAIN_SECONDS)
        finally:
            guard.close()
        rss = [server.rss_mb() for server in servers]
        stop.set()
        arrivals: dict[str, list[float]] = {}
        closed_early = 0
        for _ in readers:
            part = results.get(timeout=60)
            closed_early += part["closed_early"]
            for marker, times in part["arrivals"].items():
                arrivals.setdefault(marker, []).extend(times)
        for process in readers:
            process.join(timeout=10)
        report(args, sent, arrivals, connected, closed_early, rss, guard)
    finally:
        stop.set()
        for process in readers:
            if process.is_alive():
                process.join(timeout=5)
            if process.is_alive():
                process.terminate()
        stop_daphne(servers)
        print(f"bench: Daphne logs in {log_dir}", file=sys.stderr)


def report(args, sent: list[Sent], arrivals, connected: int, closed_early: int, rss: list[float], guard) -> None:
    accepted = [record for record in sent if record.status == 302]
    refused = [record for record in sent if record.status != 302]
    latencies, after_response = [], []
    received = 0
    for record in accepted:
        times = arrivals.get(record.marker, [])
        received += len(times)
        for arrived in times:
            latencies.append((arrived - record.post_started) * 1000)
            after_response.append((arrived - record.post_started) * 1000 - record.post_ms)
    expected = len(accepted) * connected
    p = lambda values, pct: f"{_stack.percentile(values, pct):.0f}" if values else "-"  # noqa: E731

    print()
    from django.conf import settings

    print(f"Live latency: contact-form POST -> message.created frame at every agent socket "
          f"({args.daphne} Daphne, Redis {settings.CHANNEL_LAYER} layer, HTTP_CONCURRENCY {settings.HTTP_CONCURRENCY}, "
          f"{args.seconds:g} s after {args.warmup} warm-up posts per Daphne, {args.readers} reader processes, "
          f"load avg {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print(_stack.table(
        ["agents", "rate", "sent", "frames expected", "frames received", "lost", "p50", "p95", "p99 ms (post->frame)",
         "Daphne RSS MB"],
        [(connected, f"{args.rate:g}/s", len(sent), expected, received, expected - received,
          p(latencies, 50), p(latencies, 95), p(latencies, 99), " / ".join(f"{mb:.0f}" for mb in rss))],
    ))
    gets = [record.get_ms for record in sent if record.get_ms]
    posts = [record.post_ms for record in accepted]
    print(f"where the time goes: form GET p50 {p(gets, 50)} / p95 {p(gets, 95)} ms; "
          f"POST (receive + commit + group_send + 302) p50 {p(posts, 50)} / p95 {p(posts, 95)} / p99 {p(posts, 99)} ms; "
          f"frame after the POST's response p50 {p(after_response, 50)} / p95 {p(after_response, 95)} / "
          f"p99 {p(after_response, 99)} ms")
    if refused:
        reasons: dict[str, int] = {}
        for record in refused:
            reason = record.error or f"HTTP {record.status}"
            reasons[reason] = reasons.get(reason, 0) + 1
        print("not accepted: " + ", ".join(f"{count} x {reason}" for reason, count in reasons.items()))
    print(f"database connections held by the Daphnes: peak {guard.peak}"
          + (f" -- over the limit of {guard.limit}: sending stopped early, no drain" if guard.tripped.is_set() else ""))
    if connected < args.agents or closed_early:
        print(f"sockets: {connected}/{args.agents} opened, {closed_early} closed before the end")
    met = not guard.tripped.is_set() and latencies and _stack.percentile(latencies, 99) <= TARGET_P99_MS and expected == received and not refused
    print(f"target: p99 <= {TARGET_P99_MS:g} ms and 0 lost: {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
