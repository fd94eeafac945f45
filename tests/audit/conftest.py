from __future__ import annotations

import pytest

from audit import findings, scenario


@pytest.fixture
def seeded(db):
    """The scenario history, audited once."""
    manifest = scenario.seed()
    result = findings.run_audit(broadcast=False)
    return manifest, result
