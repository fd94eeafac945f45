"""Supervisor pages, exports and API."""

from __future__ import annotations

import csv
import io

from django.test import Client
from django.utils import timezone

from audit.models import Finding


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_agents_get_no_audit_pages(seeded, agent):
    client = _client(agent)
    for url in ("/supervisor/audit/", "/supervisor/audit/findings/", "/supervisor/audit/findings.csv", "/supervisor/audit/scores.csv"):
        assert client.get(url).status_code == 403
    assert client.get("/api/audit/findings/").status_code == 403


def test_dashboard_shows_charts_with_the_figures_in_tables(seeded, supervisor):
    page = _client(supervisor).get("/supervisor/audit/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<svg") == 2
    assert 'class="bar"' in html and "<polyline" in html
    assert 'id="table-channels"' in html and 'id="table-topics"' in html


def test_findings_page_lists_and_filters(seeded, supervisor):
    client = _client(supervisor)
    html = client.get("/supervisor/audit/findings/?kind=promise").content.decode()
    assert html.count('class="finding status-open"') == Finding.objects.filter(kind="promise").count()
    detail = client.get(f"/supervisor/audit/findings/{Finding.objects.filter(kind='contradiction').first().pk}/")
    assert detail.status_code == 200
    assert "/inbox/t/" in detail.content.decode()
    assert client.get("/supervisor/audit/findings/999999/").status_code == 404


def test_coach_without_a_note_is_a_form_error(seeded, supervisor):
    finding = Finding.objects.filter(kind="promise").first()
    client = _client(supervisor)
    response = client.post(f"/supervisor/audit/findings/{finding.pk}/coach/", {"body": ""}, follow=True)
    assert "Write the note the agent will read." in response.content.decode()
    finding.refresh_from_db()
    assert finding.status == "open"


def test_csv_exports(seeded, supervisor):
    client = _client(supervisor)
    rows = list(csv.reader(io.StringIO(client.get("/supervisor/audit/findings.csv").content.decode())))
    assert rows[0][:3] == ["id", "kind", "severity"]
    assert len(rows) - 1 == Finding.objects.count()
    scores = list(csv.DictReader(io.StringIO(client.get("/supervisor/audit/scores.csv").content.decode())))
    assert {row["dimension"] for row in scores} >= {"channel", "topic", "agent", "queue", "week_channel", "week_topic", "week_agent", "week_queue"}


def test_scores_per_week_add_up_and_match_the_answer_records(seeded, supervisor):
    from audit.metrics import week_start
    from resolutions.models import AnswerRecord

    scores = list(csv.DictReader(io.StringIO(_client(supervisor).get("/supervisor/audit/scores.csv").content.decode())))
    # Each week x dimension row set sums to the dimension's total over the period
    for dimension in ("channel", "topic", "agent", "queue"):
        totals = {row["key"]: int(row["total"]) for row in scores if row["dimension"] == dimension}
        weekly: dict = {}
        for row in scores:
            if row["dimension"] == f"week_{dimension}":
                key = row["key"].split("/", 1)[1]
                weekly[key] = weekly.get(key, 0) + int(row["total"])
        assert weekly == totals, dimension
    # And one agent's week is what the answer records say
    manifest, _ = seeded
    femke = manifest.agents["Femke"]
    row = next(row for row in scores if row["dimension"] == "week_agent" and row["key"].endswith(f"/{femke}"))
    week = row["key"].split("/")[0]
    records = [record for record in AnswerRecord.objects.filter(message__author_id=femke) if f"{week_start(timezone.localdate(record.created_at)):%Y-%m-%d}" == week]
    assert int(row["total"]) == len(records) > 0


def test_api_lists_findings_and_scores(seeded, supervisor):
    client = _client(supervisor)
    data = client.get("/api/audit/findings/?kind=promise").json()
    assert len(data["results"]) == Finding.objects.filter(kind="promise").count()
    bad = client.get("/api/audit/findings/?kind=nonsense")
    assert bad.status_code == 400 and "kind" in bad.content.decode()
    scores = client.get("/api/audit/scores/").json()
    assert any(row["dimension"] == "channel" and row["key"] == "x" for row in scores)


def test_run_now_runs_the_job(db, supervisor):
    from audit import scenario

    scenario.seed(customers_per_channel=20)
    response = _client(supervisor).post("/supervisor/audit/run/")
    assert response.status_code == 302
    assert Finding.objects.filter(kind="divergence").exists()


def test_beat_schedules_the_audit():
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"audit.tasks.run_audit", "audit.tasks.refresh_scores", "audit.tasks.recompute_scores"} <= tasks


def test_supervisors_reach_the_audit_and_the_playbook_from_the_top_bar_agents_do_not(db, supervisor, agent):
    from django.urls import reverse

    wanted = [reverse("audit:dashboard"), reverse("resolutions:list"), reverse("care:reports")]
    html = _client(supervisor).get("/inbox/").content.decode()
    topbar = html.split('<nav class="user">', 1)[1].split("</nav>", 1)[0]
    assert all(f'href="{url}"' in topbar for url in wanted)
    html = _client(agent).get("/inbox/").content.decode()
    topbar = html.split('<nav class="user">', 1)[1].split("</nav>", 1)[0]
    assert not any(f'href="{url}"' in topbar for url in wanted)
