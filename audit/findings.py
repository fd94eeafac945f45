"""The audit job: six kinds of finding computed from the answer records.

``run_audit`` computes every kind over a window of recent answers and stores
them by a stable key: running it again updates a finding's messages and
details but never duplicates it nor reopens one a supervisor triaged. It
returns the seconds each kind took (the scale bench prints them).

- divergence: on one topic, one channel's mix of resolutions differs from the
  other channels' by at least DIVERGENCE_THRESHOLD (total variation distance);
- contradiction: one customer got two different resolutions of one topic
  within CONTRADICTION_DAYS;
- promise: the sent text promises more than its version's policy allows
  (``audit.promises``);
- cluster: similar off-playbook answers (``audit.clusters``), proposed as a
  new playbook entry;
- stale: an answer recorded against a version that was already retired, or
  one that repeats wording only a retired version has, sent after the change;
- tone: generic salutation, blame, or no name (``resolutions.tone`` phrases).

Promise, stale-wording and tone checks read only answers whose text differs
from the playbook's rendering (edited, or off-playbook): the rendering itself
is the playbook's wording.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from audit import clusters as clustering
from audit import promises as promise_rules
from audit.models import Finding
from inbox.models import Message, Ticket
from resolutions.models import AnswerRecord, ResolutionVersion
from audit.text import fold, name_pattern
from resolutions.tone import BLAME_PHRASES, GENERIC_SALUTATIONS

WINDOW_DAYS = 90
DIVERGENCE_THRESHOLD = 0.3
DIVERGENCE_MIN_ANSWERS = 20
CONTRADICTION_DAYS = 30
MAX_MESSAGE_IDS = 200
KINDS = [kind for kind, _label in Finding.Kind.choices]


def _candidate(kind, key, *, summary, severity="medium", topic_id=None, resolution_id=None, agent_id=None, details=None, message_ids=()):
    ids = sorted(set(message_ids))
    return {
        "key": f"{kind}:{key}"[:200], "kind": kind, "severity": severity, "topic_id": topic_id,
        "resolution_id": resolution_id, "agent_id": agent_id, "summary": summary[:300],
        "details": {**(details or {}), "message_count": len(ids)}, "message_ids": ids[:MAX_MESSAGE_IDS],
    }


def _edited_or_off(queryset):
    return queryset.filter(Q(version__isnull=True) | Q(edit_distance__gt=0))


# --- divergence --------------------------------------------------------------------------


def _tvd(a: dict, b: dict) -> float:
    total_a, total_b = sum(a.values()), sum(b.values())
    keys = set(a) | set(b)
    return 0.5 * sum(abs(a.get(k, 0) / total_a - b.get(k, 0) / total_b) for k in keys)


def find_divergence(records) -> list[dict]:
    counts: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    rows = (
        records.filter(version__isnull=False, topic__isnull=False)
        .values_list("topic_id", "channel", "version__resolution_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for topic_id, channel, resolution_id, n in rows:
        counts[topic_id][channel][resolution_id] += n
    found = []
    for topic_id, by_channel in counts.items():
        channels = {channel: mix for channel, mix in by_channel.items() if sum(mix.values()) >= DIVERGENCE_MIN_ANSWERS}
        if len(channels) < 2:
            continue
        distances = {}
        for channel, mix in channels.items():
            rest: dict = defaultdict(int)
            for other, other_mix in channels.items():
                if other != channel:
                    for resolution_id, n in other_mix.items():
                        rest[resolution_id] += n
            distances[channel] = (_tvd(mix, rest), rest)
        flagged = [channel for channel, (distance, _rest) in distances.items() if distance >= DIVERGENCE_THRESHOLD]
        if len(channels) == 2 and len(flagged) == 2:
            # Two channels that disagree: the smaller one is the odd one out.
            flagged = [min(flagged, key=lambda channel: sum(channels[channel].values()))]
        for channel in flagged:
            distance, rest = distances[channel]
            mix = channels[channel]
            total, rest_total = sum(mix.values()), sum(rest.values())
            # The resolution this channel gives more often than the others do.
            odd = max(mix, key=lambda r: mix[r] / total - rest.get(r, 0) / rest_total)
            message_ids = list(
                records.filter(topic_id=topic_id, channel=channel, version__resolution_id=odd)
                .order_by("-created_at").values_list("message_id", flat=True)[:MAX_MESSAGE_IDS]
            )
            shares = {
                "channel": {str(r): round(n / total, 3) for r, n in mix.items()},
                "others": {str(r): round(n / rest_total, 3) for r, n in rest.items()},
            }
            found.append(_candidate(
                "divergence", f"{topic_id}:{channel}", topic_id=topic_id, resolution_id=odd,
                severity="high" if distance >= 0.5 else "medium",
                summary=f"On {channel}, this topic is resolved differently than on the other channels (distance {distance:.2f}).",
                details={"channel": channel, "distance": round(distance, 3), "answers": total, "shares": shares},
                message_ids=message_ids,
            ))
    return found


# --- contradiction -----------------------------------------------------------------------


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _as_datetime(value):
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.timezone.utc)
    return value


def find_contradictions(since: dt.datetime) -> list[dict]:
    sql = f"""
        SELECT customer_id, topic_id, message_id, created_at, resolution_id, prev_message, prev_at, prev_resolution, channel, prev_channel, author_id
        FROM (
            SELECT t.customer_id AS customer_id, a.topic_id AS topic_id, a.message_id AS message_id, a.created_at AS created_at,
                   v.resolution_id AS resolution_id, a.channel AS channel, m.author_id AS author_id,
                   LAG(a.message_id) OVER w AS prev_message, LAG(a.created_at) OVER w AS prev_at,
                   LAG(v.resolution_id) OVER w AS prev_resolution, LAG(a.channel) OVER w AS prev_channel
            FROM {_table(AnswerRecord)} a
            JOIN {_table(ResolutionVersion)} v ON v.id = a.version_id
            JOIN {_table(Message)} m ON m.id = a.message_id
            JOIN {_table(Ticket)} t ON t.id = m.ticket_id
            WHERE a.topic_id IS NOT NULL AND a.created_at >= %s
            WINDOW w AS (PARTITION BY t.customer_id, a.topic_id ORDER BY a.created_at, a.id)
        ) pairs
        WHERE prev_resolution IS NOT NULL AND prev_resolution <> resolution_id
    """
    groups: dict = {}
    window = dt.timedelta(days=CONTRADICTION_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(sql, [since])
        for customer_id, topic_id, message_id, created_at, resolution_id, prev_message, prev_at, prev_resolution, channel, prev_channel, author_id in cursor.fetchall():
            if _as_datetime(created_at) - _as_datetime(prev_at) > window:
                continue
            group = groups.setdefault((customer_id, topic_id), {"messages": set(), "resolutions": set(), "channels": set(), "agent": author_id})
            group["messages"].update((prev_message, message_id))
            group["resolutions"].update((prev_resolution, resolution_id))
            group["channels"].update((prev_channel, channel))
    found = []
    for (customer_id, topic_id), group in groups.items():
        first = min(group["messages"])
        found.append(_candidate(
            "contradiction", f"{customer_id}:{topic_id}:{first}", topic_id=topic_id, severity="high",
            summary=f"Customer {customer_id} got {len(group['resolutions'])} different resolutions for this topic within {CONTRADICTION_DAYS} days.",
            details={"customer": customer_id, "resolutions": sorted(group["resolutions"]), "channels": sorted(group["channels"])},
            message_ids=group["messages"],
        ))
    return found


# --- promises ----------------------------------------------------------------------------


def find_promises(records) -> list[dict]:
    rows = (
        records.filter(version__isnull=False, edit_distance__gt=0)
        .values_list("message_id", "message__body", "rendered_text", "version__promises", "language",
                     "topic_id", "version__resolution_id", "message__author_id", "channel")
        .iterator(chunk_size=5000)
    )
    found = []
    for message_id, body, rendered, promises, language, topic_id, resolution_id, author_id, channel in rows:
        breaches = promise_rules.breaches(sent=body, rendered=rendered or "", promises=promises or {}, language=language)
        if not breaches:
            continue
        found.append(_candidate(
            "promise", str(message_id), topic_id=topic_id, resolution_id=resolution_id, agent_id=author_id, severity="high",
            summary="Promised " + ", ".join(f"{b.found} ({b.code}; allowed: {b.allowed})" for b in breaches[:3]),
            details={"language": language, "channel": channel, "breaches": [vars(b) for b in breaches]},
            message_ids=[message_id],
        ))
    return found


# --- off-playbook clusters -----------------------------------------------------------------


def find_clusters(records) -> list[dict]:
    rows = (
        records.filter(kind=AnswerRecord.Kind.OFF_PLAYBOOK)
        .values_list("message_id", "message__body", "message__ticket__customer__name", "topic_id", "language")
        .iterator(chunk_size=5000)
    )
    by_group: dict = defaultdict(list)
    for message_id, body, name, topic_id, language in rows:
        by_group[(topic_id, language)].append((message_id, body, (name or "").split(" ")[0]))
    found = []
    for (topic_id, language), items in by_group.items():
        for group in clustering.cluster(items):
            ids = group.message_ids
            found.append(_candidate(
                "cluster", f"{topic_id}:{language}:{min(ids)}", topic_id=topic_id, severity="medium",
                summary=f"{len(ids)} similar off-playbook answers ({language}): a candidate playbook entry.",
                details={"language": language, "proposal": group.proposal()},
                message_ids=ids,
            ))
    return found


# --- stale versions ----------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _sentences(text: str) -> set[str]:
    text = fold(_PLACEHOLDER.sub(" ", text))
    return {part.strip() for part in re.split(r"[.!?\n]+", text) if len(part.strip()) >= 25}


def _retired_wording() -> dict[int, list[tuple[str, dt.datetime, int]]]:
    """Per topic: sentences only retired versions have, with the retirement time and version."""
    current: dict[int, set[str]] = defaultdict(set)
    retired = []
    for version in ResolutionVersion.objects.select_related("resolution"):
        sentences = set()
        for variants in version.answers.values():
            for text in variants.values():
                sentences |= _sentences(text)
        if version.retired_at is None:
            current[version.resolution.topic_id] |= sentences
        else:
            retired.append((version, sentences))
    wording: dict[int, list] = defaultdict(list)
    for version, sentences in retired:
        topic_id = version.resolution.topic_id
        for sentence in sentences - current[topic_id]:
            wording[topic_id].append((sentence, version.retired_at, version.pk))
    return wording


def find_stale(records) -> list[dict]:
    groups: dict = {}

    def add(version_id, resolution_id, topic_id, author_id, message_id, how):
        group = groups.setdefault((version_id, author_id), {"messages": set(), "how": set(), "topic": topic_id, "resolution": resolution_id})
        group["messages"].add(message_id)
        group["how"].add(how)

    recorded = records.filter(version__retired_at__isnull=False, version__retired_at__lte=F("created_at")).values_list(
        "version_id", "version__resolution_id", "topic_id", "message__author_id", "message_id"
    )
    for version_id, resolution_id, topic_id, author_id, message_id in recorded:
        add(version_id, resolution_id, topic_id, author_id, message_id, "recorded")
    wording = _retired_wording()
    if wording:
        version_resolution = dict(ResolutionVersion.objects.filter(pk__in={v for items in wording.values() for _s, _r, v in items}).values_list("pk", "resolution_id"))
        rows = _edited_or_off(records.filter(topic_id__in=list(wording))).values_list(
            "topic_id", "message__body", "created_at", "message__author_id", "message_id"
        ).iterator(chunk_size=5000)
        for topic_id, body, created_at, author_id, message_id in rows:
            folded = fold(body)
            for sentence, retired_at, version_id in wording[topic_id]:
                if created_at >= retired_at and sentence in folded:
                    add(version_id, version_resolution[version_id], topic_id, author_id, message_id, "wording")
                    break
    versions = {v.pk: v for v in ResolutionVersion.objects.select_related("resolution").filter(pk__in={key[0] for key in groups})}
    found = []
    for (version_id, author_id), group in groups.items():
        version = versions[version_id]
        found.append(_candidate(
            "stale", f"{version_id}:{author_id}", topic_id=group["topic"], resolution_id=group["resolution"], agent_id=author_id,
            severity="medium",
            summary=f"{len(group['messages'])} answer(s) used {version.resolution.slug} v{version.number} after it was retired.",
            details={"version": version_id, "number": version.number, "retired_at": version.retired_at.isoformat(), "how": sorted(group["how"])},
            message_ids=group["messages"],
        ))
    return found


# --- tone --------------------------------------------------------------------------------


def _alternation(lists: dict) -> tuple[re.Pattern, tuple[str, ...]]:
    phrases = sorted({fold(phrase) for phrases in lists.values() for phrase in phrases}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(phrase) for phrase in phrases) + r")(?!\w)"), tuple(phrases)


_SALUTATION_RE, _SALUTATIONS = _alternation(GENERIC_SALUTATIONS)
_BLAME_RE, _BLAMES = _alternation(BLAME_PHRASES)


def tone_codes(body: str, first_name: str, channel: str) -> list[tuple[str, str]]:
    """(code, phrase) pairs: the same rules as the composer's ``resolutions.tone.check``."""
    folded = fold(body)
    codes = []
    for code, pattern, phrases in (("generic_salutation", _SALUTATION_RE, _SALUTATIONS), ("blame", _BLAME_RE, _BLAMES)):
        # Plain substring tests first (fast, in C); the word-boundary regex only on a hit.
        if any(phrase in folded for phrase in phrases):
            match = pattern.search(folded)
            if match:
                codes.append((code, match.group(1)))
    # A phone answer is the agent's note of a call: the name was spoken, not written.
    if first_name and channel != "phone" and not name_pattern(first_name).search(folded):
        codes.append(("no_name", first_name))
    return codes


def find_tone(records) -> list[dict]:
    rows = _edited_or_off(records).values_list(
        "message_id", "message__body", "message__ticket__customer__name", "message__author_id", "channel"
    ).iterator(chunk_size=5000)
    groups: dict = {}
    for message_id, body, name, author_id, channel in rows:
        for code, phrase in tone_codes(body, (name or "").split(" ")[0] if name else "", channel):
            group = groups.setdefault((author_id, code), {"messages": set(), "phrases": defaultdict(int)})
            group["messages"].add(message_id)
            group["phrases"][phrase] += 1
    found = []
    labels = {"generic_salutation": "a generic salutation", "blame": "blame phrases", "no_name": "no customer name"}
    for (author_id, code), group in groups.items():
        found.append(_candidate(
            "tone", f"{author_id}:{code}", agent_id=author_id, severity="low",
            summary=f"{len(group['messages'])} answer(s) with {labels[code]}.",
            details={"code": code, "phrases": dict(group["phrases"])},
            message_ids=group["messages"],
        ))
    return found


# --- the job -----------------------------------------------------------------------------


@transaction.atomic
def store(candidates: list[dict]) -> dict:
    """Create new findings, refresh existing open ones; triaged ones keep their status."""
    now = timezone.now()
    by_key = {candidate["key"]: candidate for candidate in candidates}
    existing = {}
    keys = list(by_key)
    for start in range(0, len(keys), 2000):
        for finding in Finding.objects.filter(key__in=keys[start:start + 2000]):
            existing[finding.key] = finding
    created, updated = [], []
    for key, candidate in by_key.items():
        finding = existing.get(key)
        if finding is None:
            created.append(Finding(created_at=now, updated_at=now, **candidate))
            continue
        if finding.message_ids != candidate["message_ids"] or finding.details != candidate["details"] or finding.summary != candidate["summary"]:
            finding.message_ids, finding.details, finding.summary = candidate["message_ids"], candidate["details"], candidate["summary"]
            finding.updated_at = now
            updated.append(finding)
    Finding.objects.bulk_create(created, batch_size=2000)
    Finding.objects.bulk_update(updated, ["message_ids", "details", "summary", "updated_at"], batch_size=2000)
    return {"created": len(created), "updated": len(updated)}


FINDERS = {
    "divergence": lambda records, since: find_divergence(records),
    "contradiction": lambda records, since: find_contradictions(since),
    "promise": lambda records, since: find_promises(records),
    "cluster": lambda records, since: find_clusters(records),
    "stale": lambda records, since: find_stale(records),
    "tone": lambda records, since: find_tone(records),
}


def run_audit(*, now: dt.datetime | None = None, window_days: int = WINDOW_DAYS, broadcast: bool = True, progress=None) -> dict:
    """Compute and store every kind of finding over the last ``window_days``;
    ``progress(done, total)`` after each kind.

    Returns {"seconds": {kind: s, ..., "store": s}, "found": {kind: n}, "created": n, "updated": n}."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=window_days)
    records = AnswerRecord.objects.filter(created_at__gte=since)
    seconds, found_counts, candidates = {}, {}, []
    for done, (kind, finder) in enumerate(FINDERS.items(), 1):
        started = time.perf_counter()
        found = finder(records, since)
        seconds[kind] = time.perf_counter() - started
        found_counts[kind] = len(found)
        candidates.extend(found)
        if progress is not None:
            progress(done, len(FINDERS))
    started = time.perf_counter()
    stored = store(candidates)
    seconds["store"] = time.perf_counter() - started
    if broadcast and (stored["created"] or stored["updated"]):
        from inbox import realtime

        realtime.supervisors_on_commit({"type": "findings.refreshed", "data": stored})
    return {"seconds": seconds, "found": found_counts, **stored}
