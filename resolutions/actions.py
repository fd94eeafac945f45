"""Every change to the playbook and the answer records goes through these functions.

Versions are immutable: a change of wording, policy or promises creates a new
ResolutionVersion and retires the old one in the same transaction; nothing
here (or anywhere) updates a version's content. ``record_answer`` is called by
``inbox.actions.reply`` inside the reply's own transaction, so a reply and its
AnswerRecord are stored together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from inbox import selectors as inbox_selectors
from inbox.actions import ActionError
from resolutions import language as language_detection
from resolutions import rendering
from resolutions.models import AnswerRecord, Resolution, ResolutionVersion, Topic, TopicConfirmation
from resolutions.playbook_file import PlaybookError, TopicSpec, validate_answers

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from inbox.models import Message, Ticket

NOT_GIVEN = "not given"
MAX_REASON = 500


# --- versions --------------------------------------------------------------------------


@transaction.atomic
def resolution_new_version(
    *,
    resolution: Resolution,
    answers: dict,
    change_note: str,
    by: AbstractBaseUser | None,
    exception_wording: dict | None = None,
    policy: str | None = None,
    promises: dict | None = None,
) -> ResolutionVersion:
    """Write a new version of ``resolution`` and retire the current one."""
    change_note = change_note.strip()
    if not change_note:
        raise ActionError("Say what changed (the change note) before saving a new version.")
    try:
        answers = validate_answers(answers)
    except PlaybookError as error:
        raise ActionError(str(error)) from None
    resolution = Resolution.objects.select_for_update().get(pk=resolution.pk)
    current = resolution.current_version
    now = timezone.now()
    if current is not None:
        # Only retired_at is ever written on an existing version.
        ResolutionVersion.objects.filter(pk=current.pk, retired_at__isnull=True).update(retired_at=now)
    last_number = resolution.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = ResolutionVersion.objects.create(
        resolution=resolution,
        number=last_number + 1,
        answers=answers,
        exception_wording=exception_wording if exception_wording is not None else (current.exception_wording if current else {}),
        policy=policy if policy is not None else resolution.policy,
        promises=promises if promises is not None else resolution.promises,
        change_note=change_note[:500],
        created_by=by,
        created_at=now,
    )
    resolution.current_version = version
    resolution.policy = version.policy
    resolution.promises = version.promises
    resolution.retired_at = None
    resolution.save(update_fields=["current_version", "policy", "promises", "retired_at"])
    return version


@transaction.atomic
def resolution_create(
    *, topic: Topic, title: str, policy: str, answers: dict, change_note: str, by: AbstractBaseUser | None
) -> ResolutionVersion:
    """A new resolution on ``topic`` with its first version (e.g. an audit's
    off-playbook cluster made into a playbook answer). Returns that version."""
    title = " ".join((title or "").split())
    if not title:
        raise ActionError("Give the resolution a title.")
    if len(title) > 200:
        raise ActionError("The title is longer than 200 characters.")
    base = slugify(title)[:70] or "resolution"
    taken = set(Resolution.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug = next(candidate for candidate in (base if n == 1 else f"{base}-{n}" for n in range(1, len(taken) + 2)) if candidate not in taken)
    position = (topic.resolutions.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    try:
        with transaction.atomic():
            resolution = Resolution.objects.create(topic=topic, slug=slug, title=title, policy=(policy or "").strip(), position=position)
    except IntegrityError:
        raise ActionError("Another resolution was just saved under this title; save again.") from None
    return resolution_new_version(resolution=resolution, answers=answers, change_note=change_note, by=by)


@transaction.atomic
def resolution_retire(*, resolution: Resolution, by: AbstractBaseUser | None) -> Resolution:
    """Take a resolution out of the playbook: it is no longer suggested or
    inserted. Its versions (and the answers recorded against them) remain."""
    resolution = Resolution.objects.select_for_update().get(pk=resolution.pk)
    if resolution.retired_at is not None:
        return resolution
    now = timezone.now()
    if resolution.current_version_id:
        ResolutionVersion.objects.filter(pk=resolution.current_version_id, retired_at__isnull=True).update(retired_at=now)
    resolution.retired_at = now
    resolution.current_version = None
    resolution.save(update_fields=["retired_at", "current_version"])
    return resolution


# --- import ----------------------------------------------------------------------------


@dataclass
class ImportSummary:
    topics_created: int = 0
    topics_updated: int = 0
    resolutions_created: int = 0
    versions_created: int = 0
    unchanged: int = 0

    def line(self) -> str:
        return (
            f"{self.topics_created} topics created, {self.topics_updated} updated; "
            f"{self.resolutions_created} resolutions created, {self.versions_created} new versions, "
            f"{self.unchanged} unchanged"
        )


def _same_content(version: ResolutionVersion | None, spec) -> bool:
    return (
        version is not None
        and version.answers == spec.answers
        and (version.exception_wording or {}) == spec.exception
        and version.policy == spec.policy
        and (version.promises or {}) == spec.promises
    )


@transaction.atomic
def playbook_import(*, topics: list[TopicSpec], by: AbstractBaseUser | None = None, source: str = "", progress=None) -> ImportSummary:
    """Bring the playbook in line with a parsed file. Idempotent: an unchanged
    file changes nothing; a changed answer (or policy) makes exactly one new
    version and retires the old one. All or nothing."""
    summary = ImportSummary()
    note = f"Imported from {source}" if source else "Imported"
    now = timezone.now()
    for position, spec in enumerate(topics):
        topic = Topic.objects.select_for_update().filter(slug=spec.slug).first()
        values = {
            "names": spec.names, "examples": spec.examples, "keywords": spec.keywords,
            "cancellation": spec.cancellation, "position": position,
        }
        if topic is None:
            topic = Topic.objects.create(slug=spec.slug, created_at=now, updated_at=now, **values)
            summary.topics_created += 1
        elif any(getattr(topic, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(topic, name, value)
            topic.updated_at = now
            topic.save(update_fields=[*values, "updated_at"])
            summary.topics_updated += 1
        for resolution_position, resolution_spec in enumerate(spec.resolutions):
            _import_resolution(topic, resolution_spec, resolution_position, by=by, note=note, summary=summary)
        if progress is not None:
            progress(position + 1, len(topics))
    return summary


def _import_resolution(topic: Topic, spec, position: int, *, by, note: str, summary: ImportSummary) -> None:
    resolution = Resolution.objects.select_for_update(of=("self",)).filter(slug=spec.slug).select_related("current_version").first()
    if resolution is None:
        resolution = Resolution.objects.create(
            topic=topic, slug=spec.slug, title=spec.title, policy=spec.policy, promises=spec.promises, position=position
        )
        summary.resolutions_created += 1
    else:
        fields = {"topic": topic, "title": spec.title, "position": position}
        changed = [name for name, value in fields.items() if getattr(resolution, name) != value]
        if changed:
            for name in changed:
                setattr(resolution, name, fields[name])
            resolution.save(update_fields=changed)
    if resolution.retired_at is None and _same_content(resolution.current_version, spec):
        summary.unchanged += 1
        return
    resolution_new_version(
        resolution=resolution, answers=spec.answers, exception_wording=spec.exception,
        policy=spec.policy, promises=spec.promises, change_note=note, by=by,
    )
    summary.versions_created += 1


# --- topics of tickets -----------------------------------------------------------------


@transaction.atomic
def topic_confirm(*, ticket: Ticket, topic: Topic, by: AbstractBaseUser) -> TopicConfirmation:
    """The agent says what the ticket is about (one click). The latest inbound
    message becomes a candidate example, used once a supervisor approves it."""
    latest = inbox_selectors.latest_inbound_message(ticket)
    return TopicConfirmation.objects.create(
        ticket=ticket,
        topic=topic,
        message=latest,
        example_text=(latest.body.strip()[:1000] if latest else ""),
        language=(latest.language if latest else "") or ticket.customer.language,
        confirmed_by=by,
    )


@transaction.atomic
def confirmation_review(*, confirmation: TopicConfirmation, approve: bool, by: AbstractBaseUser) -> TopicConfirmation:
    """A supervisor approves (the text joins the topic's examples) or rejects."""
    confirmation = TopicConfirmation.objects.select_for_update(of=("self",)).select_related("topic").get(pk=confirmation.pk)
    if confirmation.review != TopicConfirmation.Review.PENDING:
        raise ActionError("This confirmation was already reviewed.")
    if approve:
        if not confirmation.example_text:
            raise ActionError("There is no customer text to use as an example; reject it instead.")
        topic = Topic.objects.select_for_update().get(pk=confirmation.topic_id)
        language = confirmation.language or "en"
        examples = dict(topic.examples)
        if confirmation.example_text not in examples.get(language, []):
            examples[language] = [*examples.get(language, []), confirmation.example_text]
            topic.examples = examples
            topic.updated_at = timezone.now()
            topic.save(update_fields=["examples", "updated_at"])
    confirmation.review = TopicConfirmation.Review.APPROVED if approve else TopicConfirmation.Review.REJECTED
    confirmation.reviewed_by = by
    confirmation.reviewed_at = timezone.now()
    confirmation.save(update_fields=["review", "reviewed_by", "reviewed_at"])
    return confirmation


# --- answer records --------------------------------------------------------------------


def _version(resolution_version) -> ResolutionVersion:
    version_id = resolution_version.pk if isinstance(resolution_version, ResolutionVersion) else resolution_version
    try:
        version_id = int(version_id)
    except (TypeError, ValueError):
        raise ActionError("The playbook answer is not valid.") from None
    version = ResolutionVersion.objects.select_related("resolution__topic").filter(pk=version_id).first()
    if version is None:
        raise ActionError("That playbook answer does not exist.")
    if version.retired_at is not None:
        raise ActionError("That playbook answer was updated or retired since you inserted it; insert it again.")
    return version


def _reason(text: str | None) -> str:
    return (text or "").strip()[:MAX_REASON]


def _check_choice(resolution_version, off_playbook_reason: str, exception_reason: str) -> None:
    if exception_reason and off_playbook_reason:
        raise ActionError("A reply is either an exception or off-playbook, not both.")
    if off_playbook_reason and resolution_version is not None:
        raise ActionError("A reply that uses a playbook answer is not off-playbook; drop the reason or the answer.")
    if exception_reason and resolution_version is None:
        raise ActionError("An exception is made to a playbook answer: choose the answer you are making an exception to.")


def _answer_language(ticket: Ticket, body: str) -> str:
    return ticket.customer.language or language_detection.detect(body) or rendering.FALLBACK_LANGUAGE


def answer_body(
    *, body: str, ticket: Ticket, resolution_version=None, off_playbook_reason: str | None = None, exception_reason: str | None = None
) -> str:
    """The text to send: checks the playbook choice (ActionError when it is
    contradictory or the version is no longer current) and, for an exception,
    adds the playbook's gesture sentence in the customer's language. Called by
    ``inbox.actions.reply`` before the channel validates the length."""
    exception_reason, off_playbook_reason = _reason(exception_reason), _reason(off_playbook_reason)
    _check_choice(resolution_version, off_playbook_reason, exception_reason)
    if resolution_version is None:
        return body
    version = _version(resolution_version)
    if not exception_reason:
        return body
    sentence = rendering.exception_sentence(version, _answer_language(ticket, body))
    return body if sentence in body else f"{body.rstrip()}\n\n{sentence}"


def record_answer(
    *,
    message: Message,
    resolution_version=None,
    off_playbook_reason: str | None = None,
    exception_reason: str | None = None,
) -> AnswerRecord:
    """Record which answer the outbound ``message`` used. Runs inside the
    reply's transaction (the caller's ``@transaction.atomic``).

    - ``resolution_version`` alone: a playbook answer.
    - ``resolution_version`` + ``exception_reason``: an exception; the
      playbook's gesture sentence (in the customer's language) is added to the
      message so the customer knows it is a one-off.
    - ``off_playbook_reason`` (or nothing at all): off-playbook; a reply that
      says nothing is recorded with the reason "not given", so no outbound path
      can skip the record.
    """
    exception_reason = _reason(exception_reason)
    off_playbook_reason = _reason(off_playbook_reason)
    _check_choice(resolution_version, off_playbook_reason, exception_reason)
    ticket = message.ticket
    customer = ticket.customer
    language = _answer_language(ticket, message.body)
    record = AnswerRecord(message=message, channel=message.channel, language=language)
    if resolution_version is None:
        record.kind = AnswerRecord.Kind.OFF_PLAYBOOK
        record.reason = off_playbook_reason or NOT_GIVEN
        confirmation = TopicConfirmation.objects.filter(ticket_id=ticket.pk).order_by("-confirmed_at", "-id").first()
        record.topic_id = confirmation.topic_id if confirmation else None
    else:
        version = _version(resolution_version)
        record.version = version
        record.topic_id = version.resolution.topic_id
        author = message.author
        rendered = rendering.render_version(
            version,
            channel=message.channel,
            language=language,
            first_name=customer.first_name,
            ticket_ref=ticket.reference,
            agent_name=(author.get_full_name() or author.get_username()) if author else "",
        )
        record.rendered_text = rendered.text
        sent = message.body
        if exception_reason:
            record.kind = AnswerRecord.Kind.EXCEPTION
            record.reason = exception_reason
            sentence = rendering.exception_sentence(version, language)
            if sentence not in message.body:
                # A caller that did not go through answer_body: the customer
                # must still be told it is a gesture.
                message.body = f"{message.body.rstrip()}\n\n{sentence}"
                message.save(update_fields=["body"])
            sent = message.body.replace(sentence, "")
        distance, ratio = word_edit_distance(rendered.text, sent)
        record.edit_distance, record.edit_ratio = distance, ratio
        if not exception_reason:
            record.kind = AnswerRecord.Kind.PLAYBOOK
    record.save()
    return record


def word_edit_distance(rendered: str, sent: str) -> tuple[int, float]:
    """Levenshtein distance in words between the rendering and what was sent,
    and that distance over the longer text's word count. Words, not
    characters: it answers "how much was rewritten" and stays cheap for a
    long reply."""
    a, b = rendered.split(), sent.split()
    if not a and not b:
        return 0, 0.0
    previous = list(range(len(b) + 1))
    for i, word_a in enumerate(a, start=1):
        current = [i]
        for j, word_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word_a != word_b)))
        previous = current
    distance = previous[-1]
    return distance, round(distance / max(len(a), len(b)), 4)


# --- language of inbound messages ----------------------------------------------------------


def language_for_inbound(*, body: str, customer) -> str:
    """Detect the language of an inbound message; the customer's language
    follows their latest message (called by ``inbox.actions.receive`` inside
    its transaction). Returns the detected code ("" when unsure, and then the
    customer's language is left as it was)."""
    detected = language_detection.detect(body)
    if detected and customer.language != detected:
        customer.language = detected
        customer.save(update_fields=["language"])
    return detected
