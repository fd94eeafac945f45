"""Writes of the care loop: surveys, follow-ups, ratings, exit reasons,
opt-outs, export and erasure.

Messages to customers go through ``inbox.actions.reply`` like any agent reply
(author None = the team), so they are stored, queued, delivered, retried and
shown in the thread the normal way. Each gets its AnswerRecord there: kind
off-playbook, reason "care: satisfaction survey" / "care: follow-up", which
keeps "every outbound message has exactly one AnswerRecord" true.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from care.models import CsatSurvey, CustomerCare, ExitReason, FollowUp, PrivacyAudit, Tier
from inbox import actions as inbox_actions
from inbox.actions import ActionError
from inbox.models import CallbackTask, Channel, Customer, Event, Identity, Message, Ticket

SURVEY_REASON = "care: satisfaction survey"
FOLLOW_UP_REASON = "care: follow-up"
# Solved longer ago than this: too late to ask how it went.
SURVEY_WINDOW = timedelta(days=7)
ERASED = "[erased]"
MIN_SCRUBBED_TEXT = 20  # a message shorter than this is not looked for in the audit's copies


# --- consent -----------------------------------------------------------------------


def opted_out(customer: Customer) -> bool:
    care = CustomerCare.objects.filter(customer=customer).first()
    return care is not None and care.opted_out_at is not None


def may_send(customer: Customer, purpose: str) -> bool:
    """Whether a care message (``"survey"`` | ``"follow_up"``) may go to this
    customer. Surveys: unless they opted out. Follow-ups are marketing-adjacent:
    only with the consent they ticked themselves, and never after opting out."""
    if opted_out(customer):
        return False
    if purpose == "follow_up":
        return customer.consent_follow_up
    return True


@dataclass(frozen=True)
class PreferenceChange:
    """What to change about a customer's care preferences (None: leave as is)."""

    tier: str | None = None
    opted_out: bool | None = None
    consent_follow_up: bool | None = None
    # Where the customer gave or withdrew consent, when not in writing to us: "phone".
    consent_source: str = ""


CONSENT_SOURCES = ("", "phone")


@transaction.atomic
def update_preferences(
    *, customer: Customer, change: PreferenceChange, actor, via: str, now: datetime | None = None
) -> list[PrivacyAudit]:
    """Set a customer's tier, opt-out and follow-up consent: the supervisor's
    privacy page and API, an agent recording consent given on the phone, the
    unsubscribe link (actor None, via "link"). Each value that really changes
    is one PrivacyAudit row; nothing changed, nothing written.

    Giving consent lifts an earlier opt-out (the customer's newer word counts);
    opting out withdraws consent. Asking both at once is refused (ActionError).
    A new tier re-checks the customer's open tickets' SLAs after commit."""
    if change.tier is not None and change.tier not in Tier.values:
        raise ActionError(_("Unknown tier %(tier)r; use one of %(tiers)s.") % {"tier": change.tier, "tiers": ", ".join(Tier.values)})
    if change.consent_source not in CONSENT_SOURCES:
        raise ActionError(_("Unknown consent source %(source)r.") % {"source": change.consent_source})
    if change.opted_out and change.consent_follow_up:
        raise ActionError(_("A customer who opts out cannot agree to follow-ups at the same time."))
    now = now or timezone.now()
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    care, _created = CustomerCare.objects.select_for_update().get_or_create(customer=customer)
    audits: list[tuple[str, dict]] = []
    opted_out = change.opted_out
    if change.consent_follow_up and care.opted_out_at is not None:
        opted_out = False
    if opted_out is not None and opted_out != (care.opted_out_at is not None):
        care.opted_out_at = now if opted_out else None
        care.save(update_fields=["opted_out_at"])
        audits.append((PrivacyAudit.Action.OPT_OUT if opted_out else PrivacyAudit.Action.OPT_IN, {}))
    consent = False if opted_out else change.consent_follow_up
    if consent is not None and consent != customer.consent_follow_up:
        customer.consent_follow_up = consent
        customer.save(update_fields=["consent_follow_up"])
        audits.append((PrivacyAudit.Action.CONSENT, {"consent_follow_up": consent, **({"source": change.consent_source} if change.consent_source else {})}))
    if change.tier is not None and change.tier != care.tier:
        audits.append((PrivacyAudit.Action.TIER, {"from": care.tier, "to": change.tier}))
        care.tier = change.tier
        care.save(update_fields=["tier"])
        from care.tasks import check_customer_tickets

        customer_id = customer.pk
        transaction.on_commit(lambda: check_customer_tickets.delay(customer_id))
    return PrivacyAudit.objects.bulk_create(
        [
            PrivacyAudit(action=action, customer_id=customer.pk, actor=actor, via=via, change=values, created_at=now)
            for action, values in audits
        ]
    )


def opt_out(*, customer: Customer, via: str = "link", now: datetime | None = None) -> None:
    """The customer's unsubscribe link: no more surveys or follow-ups."""
    update_preferences(customer=customer, change=PreferenceChange(opted_out=True), actor=None, via=via, now=now)


# --- which channel -----------------------------------------------------------------


def care_channel(ticket: Ticket) -> tuple[str, dict] | None:
    """The channel the customer used last on this ticket, with the meta a reply
    there needs; a phone call is answered by SMS (or email). None: no way to
    write to them that is set up."""
    from channels_app.registry import sendable_channels

    sendable = set(sendable_channels())
    channel = inbox_actions.default_reply_channel(ticket)
    identities = set(ticket.customer.identities.values_list("kind", flat=True))
    candidates = [channel]
    if channel == Channel.PHONE:
        candidates = [Channel.SMS, Channel.EMAIL]
    for candidate in candidates:
        if candidate not in sendable:
            continue
        if candidate in (Channel.WEB, Channel.EMAIL) and Identity.Kind.EMAIL not in identities:
            continue
        if candidate == Channel.SMS and Identity.Kind.PHONE not in identities:
            continue
        # A survey is personal: on X it goes as a direct message, never in public.
        return candidate, ({"x_mode": "dm"} if candidate == Channel.X else {})
    return None


def rating_url(ticket: Ticket) -> str:
    from channels_app.webform.links import customer_ticket_url

    return customer_ticket_url(ticket) + "rate/"


def _topic_of(ticket: Ticket):
    from resolutions.models import TopicConfirmation

    confirmation = TopicConfirmation.objects.filter(ticket=ticket).select_related("topic").order_by("-confirmed_at", "-id").first()
    return confirmation.topic if confirmation else None


def _send(ticket: Ticket, *, body: str, channel: str, meta: dict, reason: str) -> Message:
    return inbox_actions.reply(
        ticket=ticket, author=None, body=body, channel=channel, meta={**meta, "care": reason},
        off_playbook_reason=reason,
    )


# --- CSAT ----------------------------------------------------------------------------


def survey_body(ticket: Ticket, *, cancellation: bool) -> str:
    with translation.override(ticket.customer.language or settings.LANGUAGE_CODE):
        text = _("How did we do? Rate our help from 1 to 5 (and tell us more if you like): %(url)s") % {
            "url": rating_url(ticket)
        }
        if cancellation:
            text += " " + _("Sorry to see you go: the same page asks why you are leaving.")
    return text


def send_survey(*, ticket: Ticket, now: datetime | None = None) -> CsatSurvey | None:
    """Ask "how did we do?" on the customer's channel, at most once per ticket.
    None when not sent (already asked, opted out, not solved, no channel)."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().select_related("customer").get(pk=ticket.pk)
            if ticket.status not in (Ticket.Status.SOLVED, Ticket.Status.CLOSED):
                return None
            if CsatSurvey.objects.filter(ticket=ticket).exists() or not may_send(ticket.customer, "survey"):
                return None
            if ticket.first_response_at is None:
                # Never answered (spam, a duplicate): nothing to rate, and the
                # survey must not count as our first response in the reports.
                return None
            target = care_channel(ticket)
            if target is None:
                return None
            channel, meta = target
            topic = _topic_of(ticket)
            survey = CsatSurvey.objects.create(
                ticket=ticket, channel=channel, sent_at=now, agent=ticket.assignee, topic=topic
            )
            message = _send(
                ticket, body=survey_body(ticket, cancellation=bool(topic and topic.cancellation)),
                channel=channel, meta=meta, reason=SURVEY_REASON,
            )
            survey.message = message
            survey.save(update_fields=["message"])
            return survey
    except (IntegrityError, ActionError):
        # Another checker asked first (unique ticket), or the channel refused:
        # nothing stored; the next check tries again.
        return None


@transaction.atomic
def record_rating(*, ticket: Ticket, rating, comment: str = "", now: datetime | None = None) -> CsatSurvey:
    """The customer's answer from their link. The first answer counts; a
    ticket never surveyed (e.g. rated from the link before we asked) gets a
    survey row on the web channel."""
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        raise ActionError(_("Choose a rating from 1 to 5.")) from None
    if not 1 <= rating <= 5:
        raise ActionError(_("Choose a rating from 1 to 5."))
    comment = (comment or "").strip()
    if len(comment) > settings.UNISONO_MAX_MESSAGE_LENGTH:
        raise ActionError(_("That comment is too long."))
    now = now or timezone.now()
    survey, _created = CsatSurvey.objects.select_for_update().get_or_create(
        ticket=ticket, defaults={"channel": Channel.WEB, "sent_at": now, "agent": ticket.assignee, "topic": _topic_of(ticket)}
    )
    if survey.rating is not None:
        raise ActionError(_("You already rated this conversation. Thank you!"))
    survey.rating = rating
    survey.comment = comment
    survey.answered_at = now
    survey.save(update_fields=["rating", "comment", "answered_at"])
    return survey


@transaction.atomic
def record_exit_reason(*, ticket: Ticket, reason: str, detail: str = "", source: str = "customer") -> ExitReason:
    if reason not in ExitReason.Reason.values:
        raise ActionError(_("Choose one of the reasons."))
    topic = _topic_of(ticket)
    exit_reason, _created = ExitReason.objects.update_or_create(
        ticket=ticket, defaults={"reason": reason, "detail": (detail or "").strip()[:2000], "topic": topic, "source": source}
    )
    return exit_reason


def is_cancellation(ticket: Ticket) -> bool:
    topic = _topic_of(ticket)
    return bool(topic and topic.cancellation)


# --- follow-ups ----------------------------------------------------------------------


def follow_up_body(ticket: Ticket) -> str:
    with translation.override(ticket.customer.language or settings.LANGUAGE_CODE):
        return _("Hello again about %(reference)s: is everything working now? Just answer this message if not.") % {
            "reference": ticket.reference
        }


def send_follow_up(*, ticket: Ticket, now: datetime | None = None) -> FollowUp | None:
    now = now or timezone.now()
    try:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().select_related("customer").get(pk=ticket.pk)
            if ticket.status != Ticket.Status.SOLVED or FollowUp.objects.filter(ticket=ticket).exists():
                return None
            if not may_send(ticket.customer, "follow_up") or ticket.first_response_at is None:
                return None
            target = care_channel(ticket)
            if target is None:
                return None
            channel, meta = target
            follow_up = FollowUp.objects.create(ticket=ticket, channel=channel, sent_at=now)
            follow_up.message = _send(ticket, body=follow_up_body(ticket), channel=channel, meta=meta, reason=FOLLOW_UP_REASON)
            follow_up.save(update_fields=["message"])
            return follow_up
    except (IntegrityError, ActionError):
        return None


def send_due(*, now: datetime | None = None, progress=None) -> dict:
    """Surveys for tickets solved recently, follow-ups for tickets solved
    UNISONO_FOLLOW_UP_DAYS ago. Safe to run as often as you like."""
    now = now or timezone.now()
    survey_ids = list(
        Ticket.objects.filter(
            status__in=(Ticket.Status.SOLVED, Ticket.Status.CLOSED), solved_at__gte=now - SURVEY_WINDOW, csat__isnull=True
        ).values_list("pk", flat=True)
    )
    follow_up_ids: list[int] = []
    if settings.UNISONO_FOLLOW_UP_DAYS > 0:
        follow_up_ids = list(
            Ticket.objects.filter(
                status=Ticket.Status.SOLVED,
                solved_at__lte=now - timedelta(days=settings.UNISONO_FOLLOW_UP_DAYS),
                care_follow_up__isnull=True,
                customer__consent_follow_up=True,
            ).values_list("pk", flat=True)
        )
    total = len(survey_ids) + len(follow_up_ids)
    surveys = follow_ups = 0
    for index, pk in enumerate(survey_ids, 1):
        surveys += send_survey(ticket=Ticket(pk=pk), now=now) is not None
        if progress:
            progress(index, total)
    for index, pk in enumerate(follow_up_ids, len(survey_ids) + 1):
        follow_ups += send_follow_up(ticket=Ticket(pk=pk), now=now) is not None
        if progress:
            progress(index, total)
    return {"considered": total, "surveys": surveys, "follow_ups": follow_ups}


# --- privacy -------------------------------------------------------------------------


def export_customer(*, customer: Customer, actor, via: str = "ui") -> dict:
    """Everything we hold about the customer, as JSON-ready data; audited."""
    from care import selectors

    data = selectors.customer_export(customer)
    PrivacyAudit.objects.create(
        action=PrivacyAudit.Action.EXPORT, customer_id=customer.pk, actor=actor, via=via,
        counts={"tickets": len(data["tickets"]), "messages": sum(len(t["messages"]) for t in data["tickets"])},
    )
    return data


# Event payload keys that never hold personal data: everything else is dropped on erase.
_EVENT_KEYS_KEPT = {
    "reference", "status", "priority", "queue", "assignee", "customer", "origin_channel", "updated_at",
    "message", "direction", "channel", "author", "created_at", "by", "callback", "source", "window", "due_at",
    "logged_call", "alerts", "urgency", "first_response_due", "resolution_due", "assignee_away", "updated",
}


@transaction.atomic
def erase_customer(*, customer: Customer, actor, via: str = "ui") -> PrivacyAudit:
    """Remove the customer's personal data and keep the figures: tickets,
    messages and events stay (counts, times, channels, statuses), their
    contents go. Identities are deleted; the customer row stays, nameless, so
    reports keep counting its tickets."""
    from resolutions.models import AnswerRecord, TopicConfirmation

    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    tickets = Ticket.objects.filter(customer=customer)
    messages = Message.objects.filter(ticket__customer=customer)
    counts = {
        "tickets": tickets.count(),
        "messages": messages.count(),
        "identities": customer.identities.count(),
        "events": Event.objects.filter(ticket__customer=customer).count(),
    }
    # What the audit may have copied (a cluster's proposal, a tone finding's
    # names, a reviewer's comment), read before it is erased below.
    # Short bodies ("ok", "Missed call.") would match everywhere and are no
    # one's words; names and handles match as whole words only.
    personal_texts = [body for body in messages.values_list("body", flat=True) if len(body.strip()) >= MIN_SCRUBBED_TEXT]
    personal_names = customer.name.split()
    for identity in customer.identities.all():
        personal_texts.append(identity.value)
        personal_names.append(identity.handle)
    message_ids = list(messages.values_list("pk", flat=True))
    for message in messages.only("pk", "channel"):
        # The provider id (a tweet id, a phone provider's id) leads back to the
        # person; keep it unique per channel without the original.
        Message.objects.filter(pk=message.pk).update(
            body=ERASED, meta={}, in_reply_to="", status_detail="",
            provider_id=None,
        )
    tickets.update(subject=ERASED)
    for event in Event.objects.filter(ticket__customer=customer).only("pk", "payload"):
        scrubbed = {key: value for key, value in event.payload.items() if key in _EVENT_KEYS_KEPT}
        if scrubbed != event.payload:
            Event.objects.filter(pk=event.pk).update(payload=scrubbed)
    AnswerRecord.objects.filter(message__ticket__customer=customer).update(rendered_text="")
    TopicConfirmation.objects.filter(ticket__customer=customer).update(example_text="")
    CallbackTask.objects.filter(ticket__customer=customer).update(phone="")
    CsatSurvey.objects.filter(ticket__customer=customer).update(comment="")
    ExitReason.objects.filter(ticket__customer=customer).update(detail="")
    from audit.actions import scrub_erased_customer

    counts["audit"] = scrub_erased_customer(
        message_ids=message_ids, texts=[customer.name, *personal_texts], names=personal_names, placeholder=ERASED
    )
    customer.identities.all().delete()
    customer.name = ""
    customer.language = ""
    customer.consent_follow_up = False
    customer.save(update_fields=["name", "language", "consent_follow_up"])
    care, _created = CustomerCare.objects.get_or_create(customer=customer)
    if care.opted_out_at is None:
        care.opted_out_at = timezone.now()
        care.save(update_fields=["opted_out_at"])
    return PrivacyAudit.objects.create(
        action=PrivacyAudit.Action.ERASE, customer_id=customer.pk, actor=actor, via=via, counts=counts
    )
