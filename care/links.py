"""The unsubscribe link in every email: signed, never expiring (an old mail's
link must still work), bound to the customer."""

from __future__ import annotations

from django.conf import settings
from django.core import signing

UNSUBSCRIBE_SALT = "unisono.unsubscribe"


def unsubscribe_path(customer_id: int) -> str:
    return f"/unsubscribe/{signing.dumps(customer_id, salt=UNSUBSCRIBE_SALT)}/"


def unsubscribe_url(customer_id: int) -> str:
    return settings.PUBLIC_BASE_URL + unsubscribe_path(customer_id)


def read_unsubscribe(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None
