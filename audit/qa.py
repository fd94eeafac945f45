"""QA review: a sample drawn equally from each channel, scorecards, calibration.

Writes (``sample_create``, ``review_save``) are keyword-only and raise
ActionError with a user-facing message; reads are the ``*_for`` functions.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import Review, ReviewBatch
from inbox.actions import ActionError
from inbox.models import Message
from resolutions.models import AnswerRecord

CHANNELS = ("web", "email", "phone", "sms", "x")
MAX_PER_CHANNEL = 50


@transaction.atomic
def sample_create(*, by, per_channel: int, days: int = 30, seed: int | None = None) -> ReviewBatch:
    """Draw ``per_channel`` answers of the last ``days`` days from every channel
    (fewer only where a channel has fewer answers)."""
    if not 1 <= per_channel <= MAX_PER_CHANNEL:
        raise ActionError(_("Choose between 1 and %(max)s answers per channel.") % {"max": MAX_PER_CHANNEL})
    since = timezone.now() - dt.timedelta(days=days)
    rng = random.Random(seed)
    chosen = []
    for channel in CHANNELS:
        ids = list(AnswerRecord.objects.filter(channel=channel, created_at__gte=since).values_list("message_id", flat=True))
        chosen += sorted(rng.sample(ids, min(per_channel, len(ids))))
    if not chosen:
        raise ActionError(_("There are no answers to review in that period."))
    return ReviewBatch.objects.create(created_by=by, per_channel=per_channel, message_ids=chosen)


def _score(value, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 4:
        raise ActionError(_("Score “%(name)s” from 1 to 4.") % {"name": name.replace("_", " ")})
    return number


@transaction.atomic
def review_save(*, batch: ReviewBatch, message_id: int, by, scores: dict, comment: str = "") -> Review:
    if message_id not in batch.message_ids:
        raise ActionError(_("That answer is not in this sample."))
    values = {name: _score(scores.get(name), name) for name in Review.SCORES}
    message = Message.objects.get(pk=message_id)
    try:
        with transaction.atomic():
            return Review.objects.create(batch=batch, message=message, agent_id=message.author_id, reviewer=by,
                                         comment=(comment or "").strip()[:2000], **values)
    except IntegrityError:
        raise ActionError(_("You already scored this answer in this sample.")) from None


def batch_rows(batch: ReviewBatch) -> list[dict]:
    """Per answer of the sample: the message and every reviewer's scorecard,
    with the largest difference between reviewers per criterion (calibration)."""
    messages = {m.pk: m for m in Message.objects.filter(pk__in=batch.message_ids).select_related("author", "ticket")}
    reviews: dict[int, list[Review]] = {}
    for review in batch.reviews.select_related("reviewer"):
        reviews.setdefault(review.message_id, []).append(review)
    rows = []
    for message_id in batch.message_ids:
        if message_id not in messages:
            continue
        scored = reviews.get(message_id, [])
        spread = {name: (max(getattr(r, name) for r in scored) - min(getattr(r, name) for r in scored)) if len(scored) > 1 else None
                  for name in Review.SCORES}
        rows.append({"message": messages[message_id], "reviews": scored, "spread": spread,
                     "disagree": any(value and value >= 2 for value in spread.values())})
    return rows


def reviews_for_agent(user, limit: int = 50) -> list[Review]:
    return list(Review.objects.filter(agent=user).select_related("reviewer", "message__ticket")[:limit])
