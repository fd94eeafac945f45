"""The supervisors' playbook editor: list, edit (= a new version with a change
note), preview every channel x language rendering with length flags, retire,
and approve agents' topic confirmations as new examples. Thin views: reads
through resolutions.selectors, writes through resolutions.actions."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import normalize_newlines
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit import actions as audit_actions
from audit.models import Finding
from inbox.actions import ActionError
from inbox.permissions import is_supervisor
from resolutions import actions, rendering, selectors
from resolutions.models import ANSWER_CHANNELS, TopicConfirmation
from resolutions.playbook_file import ordered_languages

PREVIEW_CHANNELS = ("web", "x", "sms", "phone")
EDITOR_LANGUAGES = ("en", "nl", "da", "nb")


def supervisor_required(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_supervisor(request.user):
            return render(request, "inbox/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return login_required(wrapper)


@require_GET
@supervisor_required
def playbook_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "resolutions/playbook_list.html",
        {"resolutions": selectors.resolution_list(), "confirmations": selectors.pending_confirmations()},
    )


def _preview(version) -> list[dict]:
    rows = []
    for language in ordered_languages({**version.answers, **{code: {} for code in EDITOR_LANGUAGES}}):
        cells = []
        for channel in PREVIEW_CHANNELS:
            rendered = rendering.render_version(version, channel=channel, language=language, **rendering.SAMPLE_VALUES)
            cells.append({"channel": channel, "rendering": rendered})
        rows.append({"language": language, "cells": cells})
    return rows


def _open_finding(value: str | None) -> Finding | None:
    """The still-open audit finding the editor was opened from, if any (an already triaged one is ignored)."""
    if not (value or "").isdigit():
        return None
    return Finding.objects.filter(pk=int(value), status=Finding.Status.OPEN).first()


@require_http_methods(["GET", "POST"])
@supervisor_required
def resolution_edit(request: HttpRequest, pk: int) -> HttpResponse:
    resolution = selectors.resolution_detail(pk)
    if resolution is None:
        raise Http404("No such resolution.")
    version = resolution.current_version
    error = ""
    status = 200
    answers = {language: dict(variants) for language, variants in (version.answers if version else {}).items()}
    change_note = ""
    # Opened from an audit finding: saving the new version is what marks the finding "playbook updated".
    finding = _open_finding(request.POST.get("finding") if request.method == "POST" else request.GET.get("finding"))
    if request.method == "GET":
        # Prefill from the query string (the audit's "update the playbook" link).
        change_note = request.GET.get("change_note", "")[:500]
        for language in EDITOR_LANGUAGES:
            for channel in ANSWER_CHANNELS:
                text = request.GET.get(f"answer-{language}-{channel}", "").strip()
                if text:
                    answers.setdefault(language, {})[channel] = text
    if request.method == "POST":
        change_note = request.POST.get("change_note", "")
        answers = {}
        for language in EDITOR_LANGUAGES:
            # Browsers send a textarea's line breaks as CRLF; the playbook stores LF (and refuses control characters).
            variants = {channel: normalize_newlines(request.POST.get(f"answer-{language}-{channel}", "")).strip() for channel in ANSWER_CHANNELS}
            variants = {channel: text for channel, text in variants.items() if text}
            if variants:
                answers[language] = variants
        try:
            with transaction.atomic():
                saved = actions.resolution_new_version(resolution=resolution, answers=answers, change_note=change_note, by=request.user)
                if finding is not None:
                    audit_actions.finding_playbook_updated(finding=finding, by=request.user, note=f"v{saved.number}: {change_note}")
        except ActionError as problem:
            error, status = str(problem), 400
        else:
            messages.success(request, _("Saved a new version of %(slug)s.") % {"slug": resolution.slug})
            if finding is not None:
                return redirect("audit:findings")
            return redirect("resolutions:edit", pk=resolution.pk)
    fields = [
        {"language": language, "channel": channel, "name": f"answer-{language}-{channel}", "text": answers.get(language, {}).get(channel, "")}
        for language in EDITOR_LANGUAGES for channel in ANSWER_CHANNELS
    ]
    return render(
        request, "resolutions/resolution_edit.html",
        {
            "resolution": resolution, "version": version, "fields": fields, "change_note": change_note, "error": error,
            "finding": finding,
            "preview": _preview(version) if version else [], "versions": list(resolution.versions.all()),
            "sample": rendering.SAMPLE_VALUES,
        },
        status=status,
    )


@require_POST
@supervisor_required
def resolution_retire(request: HttpRequest, pk: int) -> HttpResponse:
    resolution = selectors.resolution_detail(pk)
    if resolution is None:
        raise Http404("No such resolution.")
    actions.resolution_retire(resolution=resolution, by=request.user)
    messages.success(request, _("Retired %(slug)s: it is no longer suggested.") % {"slug": resolution.slug})
    return redirect("resolutions:list")


@require_POST
@supervisor_required
def confirmation_review(request: HttpRequest, pk: int) -> HttpResponse:
    confirmation = TopicConfirmation.objects.filter(pk=pk).first()
    if confirmation is None:
        raise Http404("No such confirmation.")
    try:
        actions.confirmation_review(confirmation=confirmation, approve=request.POST.get("decision") == "approve", by=request.user)
    except ActionError as problem:
        messages.error(request, str(problem))
    else:
        messages.success(request, _("Review saved."))
    return redirect("resolutions:list")
