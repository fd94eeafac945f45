from __future__ import annotations

from pathlib import Path

import pytest

from resolutions import actions
from resolutions.models import Resolution
from resolutions.playbook_file import parse

STARTER = Path(__file__).resolve().parents[2] / "resolutions" / "playbooks" / "telecom.yaml"


@pytest.fixture
def playbook(db):
    """The starter telecom playbook, imported."""
    actions.playbook_import(topics=parse(STARTER.read_text(encoding="utf-8")), source=STARTER.name)
    return STARTER


@pytest.fixture
def refund_version(playbook):
    return Resolution.objects.select_related("current_version").get(slug="refund-overage").current_version


@pytest.fixture(autouse=True)
def _sms_can_send(settings):
    """The Dutch test customer writes by SMS; answering there needs the SMS
    channel configured. Nothing is delivered in these tests (no commit)."""
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = "test-auth-token"
    settings.TWILIO_FROM_NUMBER = "+3197010260000"
