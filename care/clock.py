"""The SLA clock: pure functions of a calendar and an explicit ``now``.

Nothing here reads the database or the wall clock, so tests drive it with any
moment they like. A Calendar says when a queue is open (weekday hours in a time
zone, minus holidays); pauses are intervals (waiting on the customer) that
don't count either. Every target is "N minutes of open, unpaused time".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 3700  # a target never lies ten years out; stop walking there


@dataclass(frozen=True)
class Calendar:
    tz: ZoneInfo
    # weekday (0 = Monday) -> [(opens, closes)]; empty mapping = open around the clock
    hours: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    def open_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        if day in self.holidays:
            return []
        if not self.hours:
            start = datetime.combine(day, time.min, self.tz)
            return [(start, datetime.combine(day + timedelta(days=1), time.min, self.tz))]
        return [
            (datetime.combine(day, opens, self.tz), datetime.combine(day, closes, self.tz))
            for opens, closes in self.hours.get(day.weekday(), ())
            if closes > opens
        ]


Interval = tuple[datetime, datetime | None]


def _minus(interval: tuple[datetime, datetime], pauses: list[Interval], now: datetime) -> list[tuple[datetime, datetime]]:
    """The parts of ``interval`` outside every pause (an open pause runs until ``now``
    and, for the future, is assumed to go on: a paused clock has no due time)."""
    parts = [interval]
    for pause_start, pause_end in pauses:
        end = pause_end if pause_end is not None else datetime.max.replace(tzinfo=pause_start.tzinfo)
        next_parts = []
        for start, stop in parts:
            if end <= start or pause_start >= stop:
                next_parts.append((start, stop))
                continue
            if start < pause_start:
                next_parts.append((start, pause_start))
            if end < stop:
                next_parts.append((end, stop))
        parts = next_parts
    return parts


def _windows(calendar: Calendar, start: datetime, pauses: list[Interval], now: datetime):
    """Open, unpaused windows from ``start`` on, in order."""
    day = start.astimezone(calendar.tz).date()
    for _ in range(MAX_DAYS):
        for interval in calendar.open_intervals(day):
            opens, closes = interval
            if closes <= start:
                continue
            for window in _minus((max(opens, start), closes), pauses, now):
                yield window
        day += timedelta(days=1)


def add_business_minutes(
    start: datetime, minutes: float, calendar: Calendar, *, pauses: list[Interval] = (), now: datetime | None = None
) -> datetime | None:
    """The moment ``minutes`` of open, unpaused time after ``start``. None when
    an open-ended pause means the clock never reaches it (waiting on the customer)."""
    now = now or start
    left = timedelta(minutes=minutes)
    for opens, closes in _windows(calendar, start, list(pauses), now):
        if closes - opens >= left:
            return opens + left
        left -= closes - opens
    return None


def business_minutes_between(
    start: datetime, end: datetime, calendar: Calendar, *, pauses: list[Interval] = ()
) -> float:
    """Open, unpaused minutes from ``start`` to ``end`` (0 if end <= start)."""
    if end <= start:
        return 0.0
    total = timedelta()
    for opens, closes in _windows(calendar, start, list(pauses), end):
        if opens >= end:
            break
        total += min(closes, end) - opens
    return total.total_seconds() / 60


def pauses_from_statuses(
    changes: list[tuple[datetime, str]], *, paused_statuses: Collection[str] = ("pending",)
) -> list[Interval]:
    """Pause intervals from a ticket's status history [(when, status)], oldest first:
    a pause runs from entering one of ``paused_statuses`` until leaving them all
    (solved -> closed is one pause); None: still paused."""
    pauses: list[Interval] = []
    since: datetime | None = None
    for when, status in changes:
        if status in paused_statuses and since is None:
            since = when
        elif status not in paused_statuses and since is not None:
            pauses.append((since, when))
            since = None
    if since is not None:
        pauses.append((since, None))
    return pauses


def cycle_start(changes: list[tuple[datetime, str]], *, created_at: datetime, done_statuses: Collection[str]) -> datetime:
    """When the current round of work began: the ticket's creation, or the
    latest moment it left ``done_statuses`` (solved, closed) — a reopen."""
    start, previous = created_at, None
    for when, status in changes:
        if previous in done_statuses and status not in done_statuses:
            start = when
        previous = status
    return start
