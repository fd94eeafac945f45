"""The X connector's health, per account: what the inbox banner shows.

Every poll ends in exactly one of these writes. The banner reads them on each
refresh, so it clears by itself with the first successful poll.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from channels_app.social.accounts import configured_accounts
from channels_app.social.models import XChannelHealth, XGapAlert

State = XChannelHealth.State


def row(account: str) -> XChannelHealth:
    health, _ = XChannelHealth.objects.get_or_create(account=account)
    return health


def _update(account: str, **fields) -> None:
    fields["updated_at"] = timezone.now()
    with transaction.atomic():
        row(account)  # exists before the update
        XChannelHealth.objects.filter(account=account).update(**fields)


def record_success(account: str) -> None:
    now = timezone.now()
    _update(account, state=State.OK, rate_limited_until=None, last_success_at=now)


def record_rate_limited(account: str, *, until: datetime, detail: str) -> None:
    _update(account, state=State.RATE_LIMITED, rate_limited_until=until, last_error=detail[:500], last_error_at=timezone.now())


def record_unauthorized(account: str, *, detail: str) -> None:
    _update(account, state=State.UNAUTHORIZED, last_error=detail[:500], last_error_at=timezone.now())


def record_unreachable(account: str, *, detail: str) -> None:
    _update(account, state=State.UNREACHABLE, last_error=detail[:500], last_error_at=timezone.now())


def record_error(account: str, *, detail: str) -> None:
    """A problem that is ours, not X's (a message we could not store): kept
    visible without calling the channel down."""
    _update(account, last_error=detail[:500], last_error_at=timezone.now())


def remember_identity(account: str, *, user_id: str, handle: str) -> None:
    _update(account, user_id=user_id, handle=handle)


def rate_limited_until(account: str) -> datetime | None:
    until = XChannelHealth.objects.filter(account=account).values_list("rate_limited_until", flat=True).first()
    return until if until and until > timezone.now() else None


def open_gap(account: str, *, stream: str, since_id: int | None, oldest_seen_id: int | None, detail: str) -> XGapAlert:
    return XGapAlert.objects.create(
        account=account, stream=stream, since_id=since_id, oldest_seen_id=oldest_seen_id, detail=detail[:500]
    )


@transaction.atomic
def acknowledge_gap(*, gap_id: int, by) -> XGapAlert | None:
    """Someone has checked X for what the gap may have lost: the alert leaves
    the banner (it stays in the admin, with who acknowledged it and when).
    Acknowledging twice keeps the first."""
    gap = XGapAlert.objects.select_for_update().filter(pk=gap_id).first()
    if gap is not None and gap.acknowledged_at is None:
        gap.acknowledged_at = timezone.now()
        gap.acknowledged_by = by
        gap.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return gap


@dataclass(frozen=True)
class Banner:
    account: str
    handle: str
    state: str
    state_label: str
    last_success_at: datetime | None
    rate_limited_until: datetime | None
    last_error: str
    gaps: list[XGapAlert]


def banners() -> list[Banner]:
    """One entry per configured account that needs attention (none: no banner)."""
    names = [account.name for account in configured_accounts()]
    if not names:
        return []
    rows = {health.account: health for health in XChannelHealth.objects.filter(account__in=names)}
    gaps: dict[str, list[XGapAlert]] = {}
    for gap in XGapAlert.objects.filter(account__in=names, acknowledged_at__isnull=True)[:20]:
        gaps.setdefault(gap.account, []).append(gap)
    found = []
    for name in names:
        health = rows.get(name)
        state = health.state if health else State.OK
        if state == State.RATE_LIMITED and health.rate_limited_until and health.rate_limited_until <= timezone.now():
            state = State.OK  # the limit has passed; the next poll confirms
        if state == State.OK and not gaps.get(name):
            continue
        found.append(Banner(
            account=name,
            handle=health.handle if health else "",
            state=state,
            state_label=State(state).label,
            last_success_at=health.last_success_at if health else None,
            rate_limited_until=health.rate_limited_until if health and state == State.RATE_LIMITED else None,
            last_error=health.last_error if health and state != State.OK else "",
            gaps=gaps.get(name, []),
        ))
    return found

