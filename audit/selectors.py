"""Reads of the audit shared by the supervisor pages, the exports and the API."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.urls import reverse

from audit import charts, metrics
from audit.models import CoachingNote, Finding
from inbox.models import Message, Queue
from resolutions.models import Resolution, Topic

PAGE_SIZE = 200


def findings(*, status: str = "", kind: str = "") -> QuerySet[Finding]:
    queryset = Finding.objects.select_related("topic", "agent", "triaged_by", "resolution")
    if status:
        queryset = queryset.filter(status=status)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("status", "-created_at", "-id")


def finding(pk: int) -> Finding | None:
    return Finding.objects.select_related("topic", "agent", "triaged_by", "resolution").filter(pk=pk).first()


def open_finding(pk) -> Finding | None:
    """The finding ``pk`` (any text: a query-string value) if it is still open."""
    return Finding.objects.filter(pk=int(pk), status=Finding.Status.OPEN).first() if str(pk or "").isdigit() else None


def finding_messages(finding: Finding, limit: int = 50) -> list[Message]:
    return list(
        Message.objects.filter(pk__in=finding.message_ids[:limit]).select_related("ticket", "author", "answer_record").order_by("created_at")
    )


def editor_url(finding: Finding) -> str:
    """Where "update the playbook" goes: the resolution's editor, prefilled with
    a change note (and the cluster's proposed wording); for a topic without a
    resolution, the playbook's new-resolution form, prefilled the same way."""
    resolution = finding.resolution
    if resolution is None and finding.topic_id:
        resolution = Resolution.objects.filter(topic_id=finding.topic_id, retired_at__isnull=True).order_by("position", "id").first()
    note = f"Audit finding #{finding.pk}: {finding.summary}"[:480]
    proposal = (finding.details or {}).get("proposal", "")
    language = (finding.details or {}).get("language", "en")
    params = {"change_note": note, "finding": finding.pk}
    if proposal:
        params[f"answer-{language}-default"] = proposal
    if resolution is None:
        params["title"] = f"New: {finding.topic.slug if finding.topic else 'answer'}"
        if finding.topic_id:
            params["topic"] = finding.topic_id
        return reverse("resolutions:new") + "?" + urlencode(params)
    return reverse("resolutions:edit", args=[resolution.pk]) + "?" + urlencode(params)


def coaching_notes_for(user, *, limit: int = 5) -> list[CoachingNote]:
    if not user.is_authenticated:
        return []
    return list(CoachingNote.objects.filter(agent=user, read_at__isnull=True).select_related("written_by", "finding")[:limit])


def _names(model, ids, label) -> dict:
    return {obj.pk: label(obj) for obj in model.objects.filter(pk__in=[i for i in ids if i is not None])}


def dashboard(*, weeks: int = 12, live: bool = False) -> dict:
    data = metrics.figures(weeks=weeks, live=live)
    week_labels = [f"{week:%d %b}" for week in data["weeks"]]
    channels = [channel for channel in metrics.CHANNELS if channel in data["channel"]]
    series = {
        channel: [getattr(data["week_channel"].get((week, channel)), "score", None) for week in data["weeks"]]
        for channel in channels
    }
    week_table = [
        {"week": label, "cells": [{"channel": channel, "figure": data["week_channel"].get((week, channel))} for channel in channels]}
        for week, label in zip(data["weeks"], week_labels)
    ]
    topic_names = _names(Topic, data["topic"], lambda topic: topic.name_in("en"))
    topics = sorted(
        ({"label": topic_names.get(key, "(no topic)"), "figure": figure} for key, figure in data["topic"].items()),
        key=lambda row: row["label"],
    )
    User = get_user_model()
    agent_names = _names(User, data["agent"], lambda user: user.get_full_name() or user.get_username())
    queue_names = _names(Queue, data["queue"], lambda queue: queue.name)
    return {
        "since": data["since"],
        "channel_chart": charts.line_chart(series, week_labels),
        "week_table": week_table,
        "channels": channels,
        "channel_rows": [{"label": channel, "figure": data["channel"][channel]} for channel in channels],
        "topic_chart": charts.bar_chart([(row["label"], row["figure"].score) for row in topics]),
        "topic_rows": topics,
        "agent_rows": sorted(({"label": agent_names.get(k, "(none)"), "figure": f} for k, f in data["agent"].items()), key=lambda r: r["label"]),
        "queue_rows": sorted(({"label": queue_names.get(k, "(none)"), "figure": f} for k, f in data["queue"].items()), key=lambda r: r["label"]),
    }


def score_rows(*, weeks: int = 12) -> list[dict]:
    """Flat rows for the scores export and API: one per dimension value."""
    data = metrics.figures(weeks=weeks, weekly_detail=True)

    def row(dimension: str, key: str, figure: metrics.Figure) -> dict:
        return {"dimension": dimension, "key": key, "total": figure.total, "following": figure.following,
                "exceptions": figure.exceptions, "off_playbook": figure.off_playbook, "stale": figure.stale, "score": figure.score}

    rows = []
    for dimension in ("channel", "topic", "agent", "queue"):
        for key, figure in data[dimension].items():
            rows.append(row(dimension, "" if key is None else str(key), figure))
    # Per week: for each channel, topic, agent and queue (keys "2026-11-23/sms", "2026-11-23/12").
    for dimension in ("week_channel", *metrics.WEEKLY_DETAIL):
        ordered = sorted(data[dimension].items(), key=lambda item: (item[0][0], "" if item[0][1] is None else str(item[0][1])))
        for (week, key), figure in ordered:
            rows.append(row(dimension, f"{week:%Y-%m-%d}/{'' if key is None else key}", figure))
    return rows
