"""Every write of the audit's triage. Keyword-only; ActionError carries the user-facing message.

Each triage change is broadcast to the supervisors' group after commit (an
unstored ``finding.updated`` frame), so every open findings page updates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import CoachingNote, Finding
from inbox import realtime
from inbox.actions import ActionError

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
    """The fix was a new playbook version: called when the editor opened from the
    finding saves one (or, for a topic with no resolution yet, when the
    supervisor goes on to the admin's new-resolution form)."""
    return _triage(finding, status=Finding.Status.PLAYBOOK_UPDATED, by=by, note=note)


@transaction.atomic
def coaching_note_read(*, note: CoachingNote, by: AbstractBaseUser) -> CoachingNote:
    if note.agent_id != by.pk:
        raise ActionError(_("This note is for another agent."))
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    return note
