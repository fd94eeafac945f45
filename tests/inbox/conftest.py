from __future__ import annotations

import pytest
from rest_framework.test import APIClient


# --- API clients (tests/inbox/test_api_*.py) -----------------------------------------


@pytest.fixture
def api_as():
    """An APIClient signed in (session) as the given user; None stays anonymous."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_login(user)
        return client

    return make
