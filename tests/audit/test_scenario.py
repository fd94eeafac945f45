"""The audit finds every seeded inconsistency in a realistic history, and little else."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from audit import findings, metrics, scenario
from audit.models import Finding, WeeklyScore
from resolutions.models import AnswerRecord


def test_every_seeded_inconsistency_is_found(seeded):
    # Given the scenario (divergence, contradictions, promises in en and nl, a cluster, stale use, tone), audited
    manifest, _result = seeded
    keys = list(Finding.objects.values_list("key", flat=True))
    # Then every seeded one has a finding
    missing = [expected for expected in manifest.expected if not any(key == expected or (expected.endswith(":") and key.startswith(expected)) for key in keys)]
    assert missing == []
    kinds = {key.split(":")[0] for key in manifest.expected}
    assert kinds == {"divergence", "contradiction", "promise", "cluster", "stale", "tone"}
    # And the promises are found in both languages
    languages = {f.details["language"] for f in Finding.objects.filter(kind="promise")}
    assert {"en", "nl"} <= languages


def test_false_findings_stay_at_or_under_ten_percent(seeded):
    manifest, _result = seeded
    all_findings = list(Finding.objects.all())
    false = [f for f in all_findings if manifest.matches(f.key) is None]
    assert all_findings
    assert len(false) / len(all_findings) <= 0.10, [f.key for f in false]
    # And every finding points at seeded messages only (no consistent answer is blamed)
    blamed = {message_id for f in all_findings if f.kind != "divergence" for message_id in f.message_ids}
    assert blamed <= manifest.seeded_messages


def test_the_cluster_is_proposed_as_a_playbook_entry(seeded):
    manifest, _ = seeded
    cluster = Finding.objects.get(kind="cluster")
    assert len(cluster.message_ids) == 6
    assert "eSIM" in cluster.details["proposal"]


def test_running_again_changes_nothing_and_keeps_triage(seeded, supervisor):
    from audit import actions

    manifest, _ = seeded
    count = Finding.objects.count()
    promise = Finding.objects.filter(kind="promise").first()
    actions.finding_accept(finding=promise, by=supervisor, note="Agreed with billing")
    result = findings.run_audit(broadcast=False)
    assert result["created"] == 0 and result["updated"] == 0
    assert Finding.objects.count() == count
    promise.refresh_from_db()
    assert promise.status == Finding.Status.ACCEPTED


def test_weekly_aggregates_equal_the_live_figures(seeded):
    # Given aggregates refreshed incrementally
    precomputed = metrics.figures(weeks=14)
    live = metrics.figures(weeks=14, live=True)
    # Then every figure matches the answer records
    for dimension in ("week_channel", "channel", "topic", "agent", "queue"):
        assert {k: vars(v) for k, v in precomputed[dimension].items()} == {k: vars(v) for k, v in live[dimension].items()}
    total = sum(f.total for f in precomputed["channel"].values())
    assert total == AnswerRecord.objects.filter(created_at__gte=timezone.make_aware(dt.datetime.combine(precomputed["since"], dt.time.min))).count()


def test_aggregates_follow_new_answers(seeded, agent):
    manifest, _ = seeded
    before = metrics.figures(weeks=14)["channel"]["web"].total
    # When one more answer is recorded this week
    record = AnswerRecord.objects.filter(channel="web").order_by("-id").first()
    from tests.factories import MessageFactory

    message = MessageFactory(ticket=record.message.ticket, direction="out", channel="web", author=agent, body="Hi there")
    AnswerRecord.objects.create(message=message, kind=AnswerRecord.Kind.OFF_PLAYBOOK, channel="web", reason="x")
    # Then the next read includes it (only this week was recomputed)
    weeks = metrics.refresh_aggregates()
    assert weeks == [metrics.week_start(timezone.now())]
    after = metrics.figures(weeks=14)
    assert after["channel"]["web"].total == before + 1
    assert WeeklyScore.objects.filter(week=weeks[0]).exists()


def test_scores_count_exceptions_separately(seeded):
    figures = metrics.figures(weeks=14, live=True)
    web = figures["channel"]["web"]
    assert web.exceptions > 0
    assert web.score == round(100 * web.following / (web.total - web.exceptions), 1)


def test_management_command_seeds_and_audits_with_progress_and_one_summary_line(db, capsys):
    call_command("seed_audit_scenario", "--per-channel", "20")
    out, err = capsys.readouterr()
    assert f"seed: 1/{scenario.SEED_STEPS}" in err and f"seed: {scenario.SEED_STEPS}/{scenario.SEED_STEPS} (100%)" in err
    assert "audit: 6/6 (100%)" in err
    (line,) = out.strip().splitlines()
    assert re.fullmatch(r"\d+ answers written, \d+ seeded inconsistencies; audit: \d+ findings \(\d+ new\)\.", line)
    assert Finding.objects.filter(kind="divergence").exists()


def test_management_command_refuses_a_bad_size_in_one_line(db):
    with pytest.raises(CommandError) as error:
        call_command("seed_audit_scenario", "--per-channel", "-1")
    assert str(error.value) == "Error: argument --per-channel: must be at least 1, got -1"
    assert not Finding.objects.exists()
