from __future__ import annotations

import os

import pytest
from django.core.cache import cache

from tests.factories import QueueFactory, SupervisorFactory, UserFactory


@pytest.fixture(autouse=True)
def _clear_cache():
    # Throttle counters live in the cache: each test starts with a clean slate.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def queue(db):
    return QueueFactory(name="General", slug="general")


@pytest.fixture
def agent(queue):
    return UserFactory(username="sam", first_name="Sam", last_name="Visser", queues=[queue])


@pytest.fixture
def other_queue(db):
    return QueueFactory(name="Billing", slug="billing")


@pytest.fixture
def outsider(other_queue):
    """An agent who works another queue only."""
    return UserFactory(username="noor", first_name="Noor", queues=[other_queue])


@pytest.fixture
def supervisor(db):
    return SupervisorFactory(username="ingrid", first_name="Ingrid")


ON_POSTGRES = os.environ.get("DATABASE_URL", "").split(":")[0] in ("postgres", "postgresql")

# Real concurrency needs PostgreSQL. CI runs the suite on PostgreSQL, where
# these tests run; on the embedded SQLite pass they are reported as skipped.
requires_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (set DATABASE_URL)")


def pytest_sessionfinish(session, exitstatus):
    """With UNISONO_NO_SKIPS=1 (CI's PostgreSQL + Redis pass) a skipped test fails
    the run: a changed DATABASE_URL or REDIS_URL must not quietly turn the
    concurrency and scale-out tests off."""
    if os.environ.get("UNISONO_NO_SKIPS") != "1" or exitstatus != 0:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.ensure_newline()
        reporter.write_line(f"UNISONO_NO_SKIPS=1: {len(skipped)} test(s) skipped, e.g. {skipped[0].nodeid}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
