"""Flood limits for the public forms, counted in Django's cache.

Fixed windows: the first hit creates the counter with the window as its
lifetime (``cache.add``), every hit increments it (``cache.incr``). On Redis
both are single atomic commands and INCR keeps the key's expiry, so concurrent
requests on several servers count exactly; the embedded locmem cache is
per-process, which is what a single embedded process needs.

Keys hold a hash, not the IP address, email or number itself: the cache is no
place for personal data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

HOUR = 60 * 60
DAY = 24 * HOUR
KEY_PREFIX = "unisono:webform:throttle"


@dataclass(frozen=True)
class Limit:
    scope: str
    subject: str
    limit: int
    window_seconds: int

    @property
    def key(self) -> str:
        digest = hashlib.sha256(f"{self.scope}:{self.subject}".encode()).hexdigest()[:32]
        return f"{KEY_PREFIX}:{self.scope}:{digest}"


def per_ip_limit() -> int:
    return settings.UNISONO_FORM_THROTTLE_PER_IP_HOUR


def per_contact_limit() -> int:
    return settings.UNISONO_FORM_THROTTLE_PER_CONTACT_DAY


def callbacks_per_number_limit() -> int:
    # Three call-me-back requests a day for one number is plenty for a person
    # and stops anyone flooding someone else's phone with our calls.
    return settings.UNISONO_FORM_THROTTLE_CALLBACKS_PER_NUMBER_DAY


def form_limits(*, ip: str, contacts: Iterable[str], callback_number: str = "") -> list[Limit]:
    """The limits one form submission counts against: its client address (both
    forms share the count), each way to reach the customer it names, and for a
    call-me-back request the number to call."""
    limits = [Limit("ip", ip or "unknown", per_ip_limit(), HOUR)]
    limits += [Limit("contact", contact, per_contact_limit(), DAY) for contact in dict.fromkeys(contacts) if contact]
    if callback_number:
        limits.append(Limit("callback", callback_number, callbacks_per_number_limit(), DAY))
    return limits


def hit(limit: Limit) -> int:
    """Count one hit against ``limit``; returns the count in the current window."""
    for _attempt in range(3):
        cache.add(limit.key, 0, timeout=limit.window_seconds)
        try:
            return cache.incr(limit.key)
        except ValueError:
            # The window expired between add and incr: start a new one.
            continue
    return 1


def allow(limits: Iterable[Limit]) -> bool:
    """Count a hit against every limit; False when any is exceeded.

    Every limit is counted even when an earlier one is already exceeded, so
    that a flood keeps counting against all of its keys."""
    counts = [(limit, hit(limit)) for limit in limits]
    return all(count <= limit.limit for limit, count in counts)
