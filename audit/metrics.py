"""Consistency score: the share of answers that follow the playbook.

An answer *follows* when it used a playbook version that was current when it
was sent (kind "playbook", not stale). Exceptions (a deliberate gesture on top
of a playbook answer) are counted separately and left out of the score's
denominator: they are a decision, not an inconsistency. Off-playbook answers
and stale-version answers count against it.

    score = following / (total - exceptions)

The dashboard reads ``WeeklyScore`` rows; ``refresh_aggregates`` recomputes
every week that gained answer records since its last run (a watermark on the
record id), so a refresh before reading keeps the figures exact. Stale-ness of a
past answer never changes (it compares the answer's time with its version's
retirement), so earlier weeks stay correct without recomputation.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, Max, Q, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from audit.models import AuditState, WeeklyScore
from resolutions.models import AnswerRecord

WATERMARK = "weekly_scores_max_id"
CHANNELS = ("web", "email", "phone", "sms", "x")


def _stale_q() -> Q:
    return Q(version__isnull=False, version__retired_at__isnull=False, version__retired_at__lte=F("created_at"))


def _counts(queryset):
    """Group answer records by week, channel, queue, agent and topic."""
    kind = AnswerRecord.Kind
    stale = _stale_q()
    return (
        queryset.annotate(week=TruncWeek("created_at"))
        .values("week", "channel", "message__ticket__queue_id", "message__author_id", "topic_id")
        .annotate(
            total=Count("id"),
            following=Count("id", filter=Q(kind=kind.PLAYBOOK) & ~stale),
            exceptions=Count("id", filter=Q(kind=kind.EXCEPTION)),
            off_playbook=Count("id", filter=Q(kind=kind.OFF_PLAYBOOK)),
            stale=Count("id", filter=Q(kind=kind.PLAYBOOK) & stale),
        )
        .order_by()
    )


def week_start(moment: dt.datetime | dt.date) -> dt.date:
    if isinstance(moment, dt.datetime):
        moment = timezone.localtime(moment).date()
    return moment - dt.timedelta(days=moment.weekday())


def _week_bounds(week: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(week, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(week + dt.timedelta(days=7), dt.time.min))
    return start, end


def _rows(groups) -> list[WeeklyScore]:
    rows = []
    for group in groups:
        week = group["week"]
        rows.append(
            WeeklyScore(
                week=week.date() if isinstance(week, dt.datetime) else week,
                channel=group["channel"],
                queue_id=group["message__ticket__queue_id"],
                agent_id=group["message__author_id"],
                topic_id=group["topic_id"],
                total=group["total"],
                following=group["following"],
                exceptions=group["exceptions"],
                off_playbook=group["off_playbook"],
                stale=group["stale"],
            )
        )
    return rows


@transaction.atomic
def recompute_week(week: dt.date) -> int:
    """Recompute one week's aggregates from the answer records. Returns the row count."""
    week = week_start(week)
    start, end = _week_bounds(week)
    WeeklyScore.objects.filter(week=week).delete()
    rows = _rows(_counts(AnswerRecord.objects.filter(created_at__gte=start, created_at__lt=end)))
    WeeklyScore.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


@transaction.atomic
def recompute_all() -> int:
    WeeklyScore.objects.all().delete()
    settled = AnswerRecord.objects.filter(created_at__lte=timezone.now() - SETTLE).aggregate(top=Max("id"))["top"] or 0
    rows = _rows(_counts(AnswerRecord.objects.all()))
    WeeklyScore.objects.bulk_create(rows, batch_size=5000)
    _set_watermark(settled)
    return len(rows)


def _set_watermark(value: int) -> None:
    AuditState.objects.update_or_create(key=WATERMARK, defaults={"value": value, "updated_at": timezone.now()})


# Ids are taken at insert, rows become visible at commit: a reply committing
# late can carry a lower id than one already counted. The watermark therefore
# only passes records older than this, and newer ones' weeks are recomputed on
# every refresh until they are older.
SETTLE = dt.timedelta(minutes=5)


@transaction.atomic
def refresh_aggregates() -> list[dt.date]:
    """Recompute the weeks that gained answer records since the last refresh.

    Cheap when nothing changed (one indexed query). Returns the weeks recomputed."""
    state, _created = AuditState.objects.select_for_update().get_or_create(key=WATERMARK)
    new = AnswerRecord.objects.filter(id__gt=state.value)
    top = new.aggregate(top=Max("id"))["top"]
    if top is None:
        return []
    settled = new.filter(created_at__lte=timezone.now() - SETTLE).aggregate(top=Max("id"))["top"] or state.value
    weeks = sorted(
        {week_start(value) for value in new.filter(id__lte=top).annotate(week=TruncWeek("created_at")).values_list("week", flat=True).distinct()}
    )
    if state.value == 0 or len(weeks) > 8:
        recompute_all()
    else:
        for week in weeks:
            recompute_week(week)
    _set_watermark(settled if settled < top else top)
    return weeks


# --- figures for the dashboard -----------------------------------------------------------


@dataclass
class Figure:
    label: str
    total: int
    following: int
    exceptions: int
    off_playbook: int
    stale: int

    @property
    def judged(self) -> int:
        return self.total - self.exceptions

    @property
    def score(self) -> float | None:
        """Percentage following the playbook, one decimal; None without answers to judge."""
        return round(100.0 * self.following / self.judged, 1) if self.judged else None

    @property
    def exception_share(self) -> float | None:
        return round(100.0 * self.exceptions / self.total, 1) if self.total else None


COUNT_FIELDS = ("total", "following", "exceptions", "off_playbook", "stale")


def _sum(queryset, *dimensions: str) -> list[dict]:
    return list(queryset.values(*dimensions).annotate(**{name: Sum(name) for name in COUNT_FIELDS}).order_by(*dimensions))


def _live(since: dt.date) -> list[dict]:
    """The same groups computed straight from the answer records (no aggregates)."""
    start, _end = _week_bounds(since)
    rows = []
    for row in _rows(_counts(AnswerRecord.objects.filter(created_at__gte=start))):
        rows.append({"week": row.week, "channel": row.channel, "queue_id": row.queue_id, "agent_id": row.agent_id,
                     "topic_id": row.topic_id, **{name: getattr(row, name) for name in COUNT_FIELDS}})
    return rows


WEEKLY_DETAIL = {"week_topic": ("week", "topic_id"), "week_agent": ("week", "agent_id"), "week_queue": ("week", "queue_id")}


def figures(*, weeks: int = 12, today: dt.date | None = None, live: bool = False, weekly_detail: bool = False) -> dict:
    """Score per channel per week, and per channel, topic, agent and queue over ``weeks`` weeks
    (with ``weekly_detail``, also per week for each topic, agent and queue: the exports').

    ``live=True`` computes from the answer records directly (on demand, and the
    tests' check that the aggregates are right); otherwise the aggregates are
    refreshed incrementally, then summed."""
    today = today or timezone.localdate()
    since = week_start(today) - dt.timedelta(weeks=weeks - 1)
    by: dict[str, dict] = {}
    dimensions = {"week_channel": ("week", "channel"), "channel": ("channel",), "topic_id": ("topic_id",),
                  "agent_id": ("agent_id",), "queue_id": ("queue_id",), "week": ("week",),
                  **(WEEKLY_DETAIL if weekly_detail else {})}
    if live:
        by = {name: defaultdict(lambda: defaultdict(int)) for name in dimensions}
        for row in _live(since):
            for name, fields in dimensions.items():
                key = tuple(row[field] for field in fields) if len(fields) > 1 else row[fields[0]]
                for field in COUNT_FIELDS:
                    by[name][key][field] += row[field]
    else:
        refresh_aggregates()
        # Summed by the database, one GROUP BY per dimension: the aggregates
        # table holds a row per week x channel x queue x agent x topic.
        scores = WeeklyScore.objects.filter(week__gte=since)
        for name, fields in dimensions.items():
            by[name] = {
                (tuple(row[field] for field in fields) if len(fields) > 1 else row[fields[0]]): {field: row[field] for field in COUNT_FIELDS}
                for row in _sum(scores, *fields)
            }
    week_list = [since + dt.timedelta(weeks=index) for index in range(weeks)]
    return {
        "since": since,
        "weeks": week_list,
        "week_channel": {key: Figure(label=f"{key[0]:%Y-%m-%d} {key[1]}", **value) for key, value in by["week_channel"].items()},
        "channel": {key: Figure(label=key, **value) for key, value in by["channel"].items()},
        "topic": {key: Figure(label=str(key), **value) for key, value in by["topic_id"].items()},
        "agent": {key: Figure(label=str(key), **value) for key, value in by["agent_id"].items()},
        "queue": {key: Figure(label=str(key), **value) for key, value in by["queue_id"].items()},
        "week": {key: Figure(label=f"{key:%Y-%m-%d}", **value) for key, value in by["week"].items()},
        **{name: {key: Figure(label=f"{key[0]:%Y-%m-%d} {key[1]}", **value) for key, value in by[name].items()}
           for name in (WEEKLY_DETAIL if weekly_detail else ())},
    }
