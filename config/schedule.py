"""The periodic jobs, in one place for both ways Unisono runs them.

Production: Celery beat reads ``CELERY_BEAT_SCHEDULE`` (built here) and a
worker runs the tasks. Embedded default (no ``REDIS_URL``): there is no beat,
so ``start_embedded_scheduler`` runs the same task functions in a daemon
thread beside Daphne. It starts only from ``channels_app.apps`` when the
process is Daphne (or ``runserver``), never in tests, other manage.py commands
or Celery processes: a second scheduler would poll X twice as often.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time

logger = logging.getLogger(__name__)

_started = False
_lock = threading.Lock()


def beat_schedule(*, x_poll_seconds: int, care_check_seconds: int = 60) -> dict:
    return {
        "poll-x": {"task": "channels_app.social.tasks.poll_x", "schedule": float(x_poll_seconds)},
        # care/: SLA breaches, unanswered messages, surveys and follow-ups.
        "care-check": {"task": "care.tasks.care_check", "schedule": float(care_check_seconds)},
        # The consistency audit (audit/tasks.py).
        "audit-findings": {"task": "audit.tasks.run_audit", "schedule": 3600.0},
        "audit-scores": {"task": "audit.tasks.refresh_scores", "schedule": 600.0},
        "audit-scores-full": {"task": "audit.tasks.recompute_scores", "schedule": 86400.0},
        # Replies stuck in "sending" (worker died, no status report) become "unconfirmed".
        "delivery-unconfirmed": {"task": "channels_app.tasks.sweep_unconfirmed_deliveries", "schedule": 60.0},
    }


def should_run_embedded(argv: list[str] | None = None, environ: dict | None = None, modules: dict | None = None) -> bool:
    """Whether this process is the one embedded server that should run the schedule."""
    argv = sys.argv if argv is None else argv
    environ = os.environ if environ is None else environ
    modules = sys.modules if modules is None else modules
    if environ.get("REDIS_URL") or environ.get("UNISONO_EMBEDDED_SCHEDULER", "1").lower() in ("0", "false", "no", "off"):
        return False
    if "pytest" in modules or not argv:
        return False
    program = os.path.basename(argv[0])
    if program == "daphne" or program.endswith("daphne"):
        return True
    # runserver's autoreloader imports the project twice: only the child serves.
    return len(argv) > 1 and argv[1] == "runserver" and environ.get("RUN_MAIN") == "true"


def start_embedded_scheduler() -> bool:
    """Start the in-process scheduler thread once per process. Returns whether it started."""
    global _started
    with _lock:
        if _started:
            return False
        _started = True
    thread = threading.Thread(target=_run_forever, name="unisono-scheduler", daemon=True)
    thread.start()
    logger.info("embedded scheduler started")
    return True


def _run_forever() -> None:
    from django.conf import settings

    due: dict[str, float] = {}
    while True:
        now = time.monotonic()
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
            if due.get(name, 0.0) <= now:
                due[name] = now + float(entry["schedule"])
                run_entry(entry["task"])
        time.sleep(1.0)


def run_entry(task_name: str) -> None:
    """Run one scheduled task in this thread, as beat would have a worker run it."""
    from importlib import import_module

    from django.db import close_old_connections

    module_path, _, attribute = task_name.rpartition(".")
    close_old_connections()
    try:
        getattr(import_module(module_path), attribute).apply()
    except Exception:  # a failing job must not stop the schedule
        logger.exception("scheduled task %s failed", task_name)
    finally:
        close_old_connections()
