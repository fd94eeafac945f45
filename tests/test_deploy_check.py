"""`manage.py check --deploy` is clean with production settings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Variables that would leak the test run's configuration into "production"
# (the browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE, for one).
_SCRUBBED = (
    "DATABASE_URL", "REDIS_URL", "DEBUG", "SECURE", "EMAIL_BACKEND", "CELERY_TASK_ALWAYS_EAGER",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def test_check_deploy_has_no_warnings_in_production_settings(tmp_path):
    # Given the environment a production deployment sets (check --deploy does
    # not connect to the database, so none needs to exist)
    env = {name: value for name, value in os.environ.items() if name not in _SCRUBBED}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        DATABASE_URL="postgresql://postgres@127.0.0.1:5432/unisono",
        REDIS_URL="redis://127.0.0.1:6379/0",
        ALLOWED_HOSTS="care.example.com",
        SECURE="1",
        CSRF_TRUSTED_ORIGINS="https://care.example.com",
        PUBLIC_BASE_URL="https://care.example.com",
        UNISONO_DATA_DIR=str(tmp_path),
    )

    # When the deployment checks run, failing on any warning
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )

    # Then there is nothing to fix
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
