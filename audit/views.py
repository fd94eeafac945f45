"""The supervisor's audit pages under /supervisor/audit/. Thin: reads through
audit.selectors, writes through audit.actions (and the audit task)."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit import actions, selectors, tasks
from audit.models import CoachingNote, Finding, Review
from inbox.actions import ActionError
from resolutions.views import supervisor_required

FINDING_FIELDS = ["id", "kind", "severity", "status", "topic", "agent", "summary", "message_ids", "created_at", "triaged_by", "triaged_at"]


@require_GET
@supervisor_required
def dashboard(request: HttpRequest) -> HttpResponse:
    weeks = 12
    return render(request, "audit/dashboard.html", {"data": selectors.dashboard(weeks=weeks), "weeks": weeks})


@require_GET
@supervisor_required
def finding_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    status = status if status in Finding.Status.values or status == "all" else "open"
    kind = request.GET.get("kind", "")
    kind = kind if kind in Finding.Kind.values else ""
    items = selectors.findings(status="" if status == "all" else status, kind=kind)[: selectors.PAGE_SIZE]
    return render(request, "audit/findings.html", {
        "findings": items, "status": status, "kind": kind,
        "statuses": Finding.Status.choices, "kinds": Finding.Kind.choices,
    })


@require_GET
@supervisor_required
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    finding = selectors.finding(pk)
    if finding is None:
        raise Http404("No such finding.")
    return render(request, "audit/finding_detail.html", {"finding": finding, "messages_involved": selectors.finding_messages(finding)})


def _triage(request: HttpRequest, pk: int, do) -> HttpResponse:
    finding = selectors.finding(pk)
    if finding is None:
        raise Http404("No such finding.")
    try:
        result = do(finding)
    except ActionError as problem:
        messages.error(request, str(problem))
        return redirect("audit:finding", pk=pk)
    return result


@require_POST
@supervisor_required
def finding_accept(request: HttpRequest, pk: int) -> HttpResponse:
    def do(finding):
        actions.finding_accept(finding=finding, by=request.user, note=request.POST.get("note", ""))
        messages.success(request, _("Accepted as an exception."))
        return redirect("audit:findings")

    return _triage(request, pk, do)


@require_POST
@supervisor_required
def finding_coach(request: HttpRequest, pk: int) -> HttpResponse:
    def do(finding):
        actions.finding_coach(finding=finding, by=request.user, body=request.POST.get("body", ""))
        messages.success(request, _("The agent will see your note in their inbox."))
        return redirect("audit:findings")

    return _triage(request, pk, do)


@require_POST
@supervisor_required
def finding_playbook(request: HttpRequest, pk: int) -> HttpResponse:
    def do(finding):
        actions.ensure_open(finding)
        # The finding stays open until the editor saves the new version there.
        return redirect(selectors.editor_url(finding))

    return _triage(request, pk, do)


@require_POST
@supervisor_required
def run_now(request: HttpRequest) -> HttpResponse:
    result = tasks.run_audit.delay()
    messages.success(request, _("The audit is running.") if not result.ready() else _("Audit done."))
    return redirect("audit:findings")


@require_POST
@login_required
def note_read(request: HttpRequest, pk: int) -> HttpResponse:
    note = CoachingNote.objects.filter(pk=pk, agent=request.user).first()
    if note is None:
        raise Http404("No such note.")
    actions.coaching_note_read(note=note, by=request.user)
    return redirect(request.POST.get("next") if (request.POST.get("next") or "").startswith("/") else "inbox:list")


def finding_row(finding: Finding) -> list:
    return [
        finding.pk, finding.kind, finding.severity, finding.status, finding.topic.slug if finding.topic else "",
        finding.agent.get_username() if finding.agent else "", finding.summary, " ".join(map(str, finding.message_ids)),
        finding.created_at.isoformat(), finding.triaged_by.get_username() if finding.triaged_by else "",
        finding.triaged_at.isoformat() if finding.triaged_at else "",
    ]


def _csv_safe(value):
    # A cell starting with = + - @ is a formula in a spreadsheet: agents' text must stay text.
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else value


@require_GET
@supervisor_required
def findings_csv(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-findings.csv"'
    writer = csv.writer(response)
    writer.writerow(FINDING_FIELDS)
    for finding in selectors.findings().iterator(chunk_size=1000):
        writer.writerow([_csv_safe(value) for value in finding_row(finding)])
    return response


@require_GET
@supervisor_required
def scores_csv(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-scores.csv"'
    writer = csv.writer(response)
    fields = ["dimension", "key", "total", "following", "exceptions", "off_playbook", "stale", "score"]
    writer.writerow(fields)
    for row in selectors.score_rows():
        writer.writerow([row[field] if row[field] is not None else "" for field in fields])
    return response


# --- QA review ---------------------------------------------------------------------------

from audit import qa  # noqa: E402
from audit.models import ReviewBatch  # noqa: E402


@require_http_methods(["GET", "POST"])
@supervisor_required
def qa_list(request: HttpRequest) -> HttpResponse:
    error, status = "", 200
    if request.method == "POST":
        try:
            batch = qa.sample_create(by=request.user, per_channel=int(request.POST.get("per_channel") or 0))
        except (ActionError, ValueError) as problem:
            error, status = (str(problem) if isinstance(problem, ActionError) else _("Choose a number of answers per channel.")), 400
        else:
            return redirect("audit:qa_batch", pk=batch.pk)
    return render(request, "audit/qa_list.html", {"batches": ReviewBatch.objects.select_related("created_by")[:50], "error": error}, status=status)


@require_GET
@supervisor_required
def qa_batch(request: HttpRequest, pk: int) -> HttpResponse:
    batch = ReviewBatch.objects.filter(pk=pk).first()
    if batch is None:
        raise Http404("No such sample.")
    rows = qa.batch_rows(batch)
    for row in rows:
        row["mine"] = next((review for review in row["reviews"] if review.reviewer_id == request.user.pk), None)
    return render(request, "audit/qa_batch.html", {"batch": batch, "rows": rows, "scores": range(1, 5), "criteria": Review.SCORES})


@require_POST
@supervisor_required
def qa_score(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    batch = ReviewBatch.objects.filter(pk=pk).first()
    if batch is None:
        raise Http404("No such sample.")
    try:
        qa.review_save(batch=batch, message_id=message_id, by=request.user, scores=request.POST, comment=request.POST.get("comment", ""))
    except ActionError as problem:
        messages.error(request, str(problem))
    return redirect(f"{reverse('audit:qa_batch', args=[batch.pk])}#answer-{message_id}")


@require_GET
@login_required
def my_notes(request: HttpRequest) -> HttpResponse:
    """The agent's unread coaching notes (the partial /inbox/ loads)."""
    return render(request, "audit/_coaching_notes.html", {
        "notes": selectors.coaching_notes_for(request.user),
        "has_reviews": Review.objects.filter(agent=request.user).exists(),
        "next": reverse("inbox:list"),
    })


@require_GET
@login_required
def my_reviews(request: HttpRequest) -> HttpResponse:
    return render(request, "audit/my_reviews.html", {"reviews": qa.reviews_for_agent(request.user)})
