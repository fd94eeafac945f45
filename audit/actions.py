"""Every write of the audit's triage. Keyword-only; ActionError carries the user-facing message.

Each triage change is broadcast to the supervisors' group after commit (an
unstored ``finding.updated`` frame), so every open findings page updates.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import CoachingNote, Finding, Review
from inbox import realtime
from inbox.actions import ActionError
from resolutions import actions as resolution_actions
from resolutions.models import Resolution, ResolutionVersion, Topic

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

MAX_NOTE = 1000


def finding_frame(finding: Finding) -> dict:
    return {
        "type": "finding.updated",
        "data": {
            "id": finding.pk,
            "kind": finding.kind,
            "status": finding.status,
            "status_label": str(Finding.Status(finding.status).label),
            "triaged_by": (finding.triaged_by.get_full_name() or finding.triaged_by.get_username()) if finding.triaged_by else "",
        },
    }


def ensure_open(finding: Finding) -> None:
    if finding.status != Finding.Status.OPEN:
        raise ActionError(_("This finding was already triaged (%(status)s).") % {"status": finding.get_status_display()})


def _triage(finding: Finding, *, status: str, by: AbstractBaseUser, note: str = "") -> Finding:
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    ensure_open(finding)
    finding.status = status
    finding.triaged_by = by
    finding.triaged_at = timezone.now()
    finding.triage_note = note[:MAX_NOTE]
    finding.updated_at = finding.triaged_at
    finding.save(update_fields=["status", "triaged_by", "triaged_at", "triage_note", "updated_at"])
    realtime.supervisors_on_commit(finding_frame(finding))
    return finding


@transaction.atomic
def finding_accept(*, finding: Finding, by: AbstractBaseUser, note: str = "") -> Finding:
    """The supervisor accepts what was found as a justified exception."""
    return _triage(finding, status=Finding.Status.ACCEPTED, by=by, note=(note or "").strip())


@transaction.atomic
def finding_coach(*, finding: Finding, by: AbstractBaseUser, body: str) -> CoachingNote:
    """Write the agent a coaching note (they see it in their inbox) and mark the finding coached."""
    body = (body or "").strip()
    if not body:
        raise ActionError(_("Write the note the agent will read."))
    if finding.agent_id is None:
        raise ActionError(_("This finding is about no single agent; accept it or update the playbook instead."))
    finding = _triage(finding, status=Finding.Status.COACHED, by=by, note=body)
    return CoachingNote.objects.create(agent_id=finding.agent_id, finding=finding, body=body[:4000], written_by=by)


@transaction.atomic
def finding_playbook_updated(*, finding: Finding, by: AbstractBaseUser, note: str = "") -> Finding:
    """The fix was a new playbook version (see fix_with_new_version)."""
    return _triage(finding, status=Finding.Status.PLAYBOOK_UPDATED, by=by, note=note)


@transaction.atomic
def fix_with_new_version(
    *, finding: Finding | None, by: AbstractBaseUser, resolution: Resolution | None = None, topic: Topic | None = None,
    title: str = "", policy: str = "", answers: dict, change_note: str,
) -> ResolutionVersion:
    """Save a playbook version from the editor — a new version of
    ``resolution``, or a new resolution on ``topic`` — and, when the editor
    was opened from a still-open ``finding``, mark it "playbook updated" in
    the same transaction (a finding triaged meanwhile is left as it is)."""
    if resolution is not None:
        version = resolution_actions.resolution_new_version(resolution=resolution, answers=answers, change_note=change_note, by=by)
    else:
        version = resolution_actions.resolution_create(
            topic=topic, title=title, policy=policy, answers=answers, change_note=change_note, by=by
        )
    if finding is not None and finding.status == Finding.Status.OPEN:
        finding_playbook_updated(finding=finding, by=by, note=f"v{version.number}: {version.change_note}")
    return version


@transaction.atomic
def coaching_note_read(*, note: CoachingNote, by: AbstractBaseUser) -> CoachingNote:
    if note.agent_id != by.pk:
        raise ActionError(_("This note is for another agent."))
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    return note


# --- erasure ---------------------------------------------------------------------------------


def _scrubber(*, texts: Collection[str], names: Collection[str], placeholder: str):
    """A function that replaces every occurrence of ``texts`` (anywhere) and
    ``names`` (as whole words, any case) in a string, or None if there is nothing to find."""
    parts = [re.escape(text) for text in sorted({t for t in texts if t.strip()}, key=len, reverse=True)]
    parts += [rf"(?<!\w){re.escape(name)}(?!\w)" for name in sorted({n for n in names if len(n) >= 2}, key=len, reverse=True)]
    if not parts:
        return None
    pattern = re.compile("|".join(parts), re.IGNORECASE)
    return lambda value: pattern.sub(placeholder, value)


def _scrub_json(value, scrub):
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_scrub_json(item, scrub) for item in value]
    if isinstance(value, dict):
        scrubbed: dict = {}
        for key, item in value.items():
            key, item = scrub(key), _scrub_json(item, scrub)
            # Two names that both became the placeholder: their counts add up.
            if key in scrubbed and isinstance(item, int) and isinstance(scrubbed[key], int):
                item += scrubbed[key]
            scrubbed[key] = item
        return scrubbed
    return value


@transaction.atomic
def scrub_erased_customer(
    *, message_ids: Collection[int], texts: Collection[str], names: Collection[str], placeholder: str
) -> dict:
    """A customer is being erased (care.actions.erase_customer): remove what
    the audit copied of their personal text. A finding's details, summary and
    triage note lose every occurrence of ``texts`` (their messages, their
    identities: a cluster's proposal is one of the answers as sent) and of
    ``names`` (a tone finding counts the first names customers were not
    greeted by); reviews of their messages lose their comment. Scores, counts,
    message ids and statuses stay: the audit's figures do not change."""
    scrub = _scrubber(texts=texts, names=names, placeholder=placeholder)
    findings = 0
    if scrub is not None:
        # Every finding, not only those listing the messages: a finding keeps
        # at most MAX_MESSAGE_IDS ids, its proposal can come from any member.
        changed = []
        for finding in Finding.objects.select_for_update().only("pk", "details", "summary", "triage_note").iterator(chunk_size=2000):
            details = _scrub_json(finding.details, scrub)
            summary, note = scrub(finding.summary), scrub(finding.triage_note)
            if (details, summary, note) != (finding.details, finding.summary, finding.triage_note):
                finding.details, finding.summary, finding.triage_note = details, summary, note
                changed.append(finding)
        Finding.objects.bulk_update(changed, ["details", "summary", "triage_note"], batch_size=500)
        findings = len(changed)
    reviews = Review.objects.filter(message_id__in=list(message_ids)).exclude(comment="").update(comment="")
    return {"findings": findings, "reviews": reviews}
