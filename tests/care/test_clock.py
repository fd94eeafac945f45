"""The SLA clock with a controlled clock: business hours, holidays, pauses."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from care.clock import Calendar, add_business_minutes, business_minutes_between, pauses_from_statuses
from care.sla import Facts, evaluate

AMS = ZoneInfo("Europe/Amsterdam")
WEEKDAYS_9_TO_17 = {day: ((time(9), time(17)),) for day in range(5)}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in the week of Monday 7 December 2026 (day 7 = Monday)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=AMS)


def test_without_business_hours_the_clock_runs_around_the_clock():
    calendar = Calendar(tz=AMS)
    assert add_business_minutes(at(11, 23), 120, calendar) == at(12, 1)


def test_due_time_skips_the_night_and_the_weekend():
    # Given office hours Mon-Fri 9-17 and a ticket on Friday 16:00
    calendar = Calendar(tz=AMS, hours=WEEKDAYS_9_TO_17)
    # When the target is 2 business hours
    due = add_business_minutes(at(11, 16), 120, calendar)
    # Then one hour is used on Friday and the rest on Monday morning
    assert due == at(14, 10)


def test_a_message_outside_hours_starts_counting_at_opening():
    calendar = Calendar(tz=AMS, hours=WEEKDAYS_9_TO_17)
    assert add_business_minutes(at(8, 20), 30, calendar) == at(9, 9, 30)


def test_holidays_are_closed_days():
    # Given Monday 14 December is a holiday
    calendar = Calendar(tz=AMS, hours=WEEKDAYS_9_TO_17, holidays=frozenset({date(2026, 12, 14)}))
    # Then Friday's ticket is due on Tuesday instead
    assert add_business_minutes(at(11, 16), 120, calendar) == at(15, 10)


def test_a_pause_moves_the_due_time_by_the_business_time_it_covered():
    calendar = Calendar(tz=AMS, hours=WEEKDAYS_9_TO_17)
    # Given a 4-hour target from Monday 9:00, paused (waiting on the customer) 10:00-11:30
    pauses = [(at(7, 10), at(7, 11, 30))]
    assert add_business_minutes(at(7, 9), 240, calendar, pauses=pauses) == at(7, 14, 30)
    # A pause across the night only costs the open hours it covered
    overnight = [(at(7, 16), at(8, 10))]
    assert business_minutes_between(at(7, 16), at(8, 10), calendar) == 120
    # 480 min from Monday 9:00: 7 h on Monday before the pause, the last hour Tuesday 10-11
    assert add_business_minutes(at(7, 9), 480, calendar, pauses=overnight) == at(8, 11)


def test_an_open_pause_has_no_due_time():
    calendar = Calendar(tz=AMS, hours=WEEKDAYS_9_TO_17)
    assert add_business_minutes(at(7, 9), 240, calendar, pauses=[(at(7, 10), None)]) is None


def test_pauses_come_from_the_status_history():
    changes = [(at(7, 9), "new"), (at(7, 10), "open"), (at(7, 11), "pending"), (at(7, 12), "open"), (at(7, 13), "pending")]
    assert pauses_from_statuses(changes) == [(at(7, 11), at(7, 12)), (at(7, 13), None)]


def _evaluate(facts: Facts, now: datetime, **overrides):
    values = dict(
        first_response_minutes=60, resolution_minutes=240, calendar=Calendar(tz=AMS, hours=WEEKDAYS_9_TO_17),
        now=now, warn_minutes=30, unanswered_minutes=120,
    )
    values.update(overrides)
    return evaluate(facts, **values)


def test_urgency_goes_at_risk_then_breached_as_the_clock_moves():
    facts = Facts(created_at=at(7, 9), status="new", first_response_at=None, solved_at=None, status_changes=[(at(7, 9), "new")])
    assert _evaluate(facts, at(7, 9, 20)).urgency == ""
    assert _evaluate(facts, at(7, 9, 40)).urgency == "at_risk"
    late = _evaluate(facts, at(7, 10, 1))
    assert late.urgency == "breached" and late.first_response_breached
    assert late.first_response_due == at(7, 10)


def test_waiting_on_the_customer_pauses_the_resolution_clock():
    # Given a ticket answered at 9:30, then pending (waiting on the customer) from 10:00
    facts = Facts(
        created_at=at(7, 9), status="pending", first_response_at=at(7, 9, 30), solved_at=None,
        status_changes=[(at(7, 9), "new"), (at(7, 9, 30), "open"), (at(7, 10), "pending")],
    )
    # When the resolution target (4 h) has long passed in wall-clock time
    state = _evaluate(facts, at(8, 16))
    # Then it is paused, not breached, and has no due time while paused
    assert state.paused and state.resolution_due is None
    assert not state.resolution_breached and state.urgency == ""
    assert state.paused_minutes == 7 * 60 + 7 * 60  # Monday 10-17 and Tuesday 9-16


def test_an_unanswered_message_escalates_and_an_away_assignee_escalates_at_once():
    base = dict(created_at=at(7, 9), status="open", first_response_at=at(7, 9, 5), solved_at=None,
                status_changes=[(at(7, 9), "open")], waiting_message_id=5, waiting_since=at(7, 10))
    assert not _evaluate(Facts(**base), at(7, 11)).unanswered
    assert _evaluate(Facts(**base), at(7, 12)).unanswered
    assert _evaluate(Facts(**base, assignee_away=True), at(7, 10, 1)).unanswered
