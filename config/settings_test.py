"""Test settings: the real settings, with Celery in-process and mail captured.

Celery's eager mode has to be decided here, before Celery reads its config
(conftest is too late; the ``settings`` fixture does not reach Celery's cache).
"""

from __future__ import annotations

import os

os.environ.setdefault("UNISONO_DATA_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test"))

from config.settings import *  # noqa: E402,F403
from config.settings import ALLOWED_HOSTS, DATA_DIR, DATABASES  # noqa: E402

CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://localhost/"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
WHITENOISE_AUTOREFRESH = True

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The live server of browser tests runs in a child process: it needs a file.
    # One file per pytest run (the child inherits the run's tag through the
    # environment), so two runs in one checkout never share a test database.
    _run = os.environ.setdefault("UNISONO_TEST_RUN", str(os.getpid()))
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{_run}.sqlite3")}
