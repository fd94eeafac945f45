"""The supervisors' playbook editor: list, edit (= a new version with a change
note), preview every channel x language rendering with length flags, retire,
and approve agents' topic confirmations as new examples. Thin views: reads
through resolutions.selectors, writes through resolutions.actions."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import normalize_newlines
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit import actions as audit_actions
from audit import selectors as audit_selectors
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


def _prefilled_answers(request: HttpRequest, answers: dict) -> dict:
    """``answers`` with the variants the query string brings (the audit's "update the playbook" link)."""
    for language in EDITOR_LANGUAGES:
        for channel in ANSWER_CHANNELS:
            text = request.GET.get(f"answer-{language}-{channel}", "").strip()
            if text:
                answers.setdefault(language, {})[channel] = text
    return answers


def _posted_answers(request: HttpRequest) -> dict:
    answers = {}
    for language in EDITOR_LANGUAGES:
        # Browsers send a textarea's line breaks as CRLF; the playbook stores LF (and refuses control characters).
        variants = {channel: normalize_newlines(request.POST.get(f"answer-{language}-{channel}", "")).strip() for channel in ANSWER_CHANNELS}
        variants = {channel: text for channel, text in variants.items() if text}
        if variants:
            answers[language] = variants
    return answers


def _answer_fields(answers: dict) -> list[dict]:
    return [
        {"language": language, "channel": channel, "name": f"answer-{language}-{channel}", "text": answers.get(language, {}).get(channel, "")}
        for language in EDITOR_LANGUAGES for channel in ANSWER_CHANNELS
    ]


def _finding_of(request: HttpRequest) -> Finding | None:
    # Opened from an audit finding: saving is what marks the finding "playbook updated".
    return audit_selectors.open_finding(request.POST.get("finding") if request.method == "POST" else request.GET.get("finding"))


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
    finding = _finding_of(request)
    change_note = request.GET.get("change_note", "")[:500]
    if request.method == "GET":
        answers = _prefilled_answers(request, answers)
    else:
        change_note = request.POST.get("change_note", "")
        answers = _posted_answers(request)
        try:
            audit_actions.fix_with_new_version(
                finding=finding, by=request.user, resolution=resolution, answers=answers, change_note=change_note)
        except ActionError as problem:
            error, status = str(problem), 400
        else:
            messages.success(request, _("Saved a new version of %(slug)s.") % {"slug": resolution.slug})
            if finding is not None:
                return redirect("audit:findings")
            return redirect("resolutions:edit", pk=resolution.pk)
    return render(
        request, "resolutions/resolution_edit.html",
        {
            "resolution": resolution, "version": version, "fields": _answer_fields(answers), "change_note": change_note,
            "error": error, "finding": finding,
            "preview": _preview(version) if version else [], "versions": list(resolution.versions.all()),
            "sample": rendering.SAMPLE_VALUES,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@supervisor_required
def resolution_new(request: HttpRequest) -> HttpResponse:
    """A new resolution with its first version, on a topic chosen here (or
    given by the audit's link for an off-playbook cluster)."""
    source = request.POST if request.method == "POST" else request.GET
    topics = selectors.playbook_topics()
    topic_id = source.get("topic", "")
    values = {"title": source.get("title", ""), "policy": source.get("policy", ""), "change_note": source.get("change_note", "")[:500]}
    finding = _finding_of(request)
    error, status = "", 200
    if request.method == "GET":
        answers = _prefilled_answers(request, {})
    else:
        answers = _posted_answers(request)
        topic = next((topic for topic in topics if str(topic.pk) == topic_id), None)
        try:
            if topic is None:
                raise ActionError(_("Choose the topic this resolution answers."))
            version = audit_actions.fix_with_new_version(
                finding=finding, by=request.user, topic=topic, title=values["title"], policy=normalize_newlines(values["policy"]),
                answers=answers, change_note=values["change_note"])
        except ActionError as problem:
            error, status = str(problem), 400
        else:
            messages.success(request, _("Added %(slug)s to the playbook.") % {"slug": version.resolution.slug})
            if finding is not None:
                return redirect("audit:findings")
            return redirect("resolutions:edit", pk=version.resolution_id)
    return render(
        request, "resolutions/resolution_new.html",
        {"topics": topics, "topic_id": topic_id, "fields": _answer_fields(answers), "error": error, "finding": finding, **values},
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
