"""How fast is the consistency audit over a large answer history?

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/audit SECRET_KEY=x \
        python bench/audit_scale.py [--records 1000000]

Seeds ``--records`` answer records (one outbound message each, two per ticket)
over the last 12 weeks with COPY, including the kinds of inconsistency the
audit looks for (a channel that credits roaming, customers told two things,
promises outside policy, stale wording, an eSIM answer improvised again and
again, "Dear customer"). Then it times, on PostgreSQL:

- the weekly aggregates computed from scratch (what the nightly job does);
- the dashboard's figures (incremental refresh + sums), target <= 3 s;
- the findings job, per kind of finding and in total, target <= 60 s.

Not a test: it prints a table. It empties the inbox, playbook and audit tables
of the database it is given: use a database of its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _stack  # noqa: E402

WEEKS = 12
COPIES = 5  # the scenario's playbook, five times over: 20 topics


def build_playbook(now):
    from django.contrib.auth import get_user_model

    from audit import scenario
    from inbox.models import Queue
    from resolutions import actions
    from resolutions.models import Resolution, ResolutionVersion, Topic

    User = get_user_model()
    supervisor = User.objects.create(username="bench-supervisor", first_name="Ingrid")
    queues = [Queue.objects.get_or_create(slug=f"bench-{n}", defaults={"name": f"Queue {n}"})[0] for n in range(4)]
    agents = [User.objects.create(username=f"bench-agent-{n}", first_name=f"Agent{n}", last_name="Bench") for n in range(40)]
    change_at = now - dt.timedelta(days=42)
    groups = []
    for copy in range(COPIES):
        for position, (slug, spec) in enumerate(scenario.PLAYBOOK.items()):
            topic = Topic.objects.create(slug=f"{slug}-{copy}", names={k: f"{v} ({copy})" for k, v in spec["names"].items()}, position=copy * 10 + position)
            versions = {}
            for rslug, rspec in spec["resolutions"].items():
                resolution = Resolution.objects.create(topic=topic, slug=f"{rslug}-{copy}", title=rspec["title"], promises=rspec["promises"])
                versions[rslug] = actions.resolution_new_version(resolution=resolution, answers=rspec["answers"], promises=rspec["promises"],
                                                                 change_note="v1", by=supervisor)
            group = {"slug": slug, "topic": topic, "versions": versions}
            if slug == "sim-delivery":
                v1 = versions["audit-resend-sim"]
                v2 = actions.resolution_new_version(resolution=v1.resolution, answers=scenario.RESEND_V2, change_note="post", by=supervisor)
                ResolutionVersion.objects.filter(pk=v1.pk).update(retired_at=change_at)
                ResolutionVersion.objects.filter(pk=v2.pk).update(created_at=change_at)
                v1.refresh_from_db()
                group["v1"], group["v2"] = v1, v2
            groups.append(group)
    return queues, agents, groups, change_at


def templates_for(version):
    """(channel, language) -> rendering with markers for the placeholders."""
    from resolutions import rendering

    out = {}
    for channel in ("web", "email", "phone", "sms", "x"):
        for language in ("en", "nl"):
            out[(channel, language)] = rendering.render_version(
                version, channel=channel, language=language, first_name="\x01", ticket_ref="\x02", agent_name="\x03").text
    return out


def seed(records: int, now) -> dict:
    import psycopg
    from django.conf import settings
    from django.db import connection

    from audit import scenario
    from resolutions import rendering
    from resolutions.actions import word_edit_distance

    queues, agents, groups, change_at = build_playbook(now)
    rendered = {}
    for group in groups:
        for version in list(group["versions"].values()) + [group.get("v2")]:
            if version is not None:
                rendered[version.pk] = templates_for(version)
    rng = random.Random(42)
    tickets = records // 2
    customers = max(records // 5, 10)
    db = settings.DATABASES["default"]
    conninfo = dict(dbname=db["NAME"], user=db["USER"] or None, password=db["PASSWORD"] or None, host=db["HOST"] or None, port=db["PORT"] or None)
    conns = [psycopg.connect(**{k: v for k, v in conninfo.items() if v}) for _ in range(4)]
    names = scenario.FIRST_NAMES
    languages = ["en", "en", "nl"]
    channels = ("web", "email", "phone", "sms", "x")
    start = now - dt.timedelta(weeks=WEEKS) + dt.timedelta(hours=1)
    span = (now - start).total_seconds() - 4 * 86400
    friendly = scenario.FRIENDLY_EDITS
    promise_lines = {"en": ["I've refunded 120 EUR of it.", "We will refund the charges by 15 March."],
                     "nl": ["Ik heb € 85 teruggestort.", "We vergoeden het, uiterlijk 3 april staat het erop."]}
    seeded = {"contradiction": 0, "promise": 0, "stale": 0, "tone": 0, "divergence": COPIES}
    customer_language = [languages[i % 3] for i in range(customers)]
    progress = _stack.Progress("customers", customers)
    with conns[0].cursor().copy("COPY inbox_customer (id, name, language, consent_follow_up, created_at, updated_at) FROM STDIN") as copy:
        for cid in range(1, customers + 1):
            copy.write_row((cid, f"{names[cid % len(names)]} B{cid}", customer_language[cid - 1], False, start, start))
            progress.advance()
    progress.finish()
    conns[0].commit()
    progress = _stack.Progress("tickets, messages, answer records", tickets)
    ticket_cur, message_cur, record_cur = conns[1].cursor(), conns[2].cursor(), conns[3].cursor()
    message_id = 0
    with ticket_cur.copy("COPY inbox_ticket (id, customer_id, queue_id, assignee_id, subject, status, priority, origin_channel, created_at, updated_at, first_response_at, solved_at) FROM STDIN") as tcopy, \
         message_cur.copy("COPY inbox_message (id, ticket_id, direction, channel, author_id, body, provider_id, in_reply_to, conversation, status, status_detail, idempotency_key, delivery_attempts, language, meta, created_at, sent_at) FROM STDIN") as mcopy, \
         record_cur.copy("COPY resolutions_answerrecord (id, message_id, version_id, kind, reason, topic_id, channel, language, rendered_text, edit_distance, edit_ratio, created_at) FROM STDIN") as rcopy:
        for tid in range(1, tickets + 1):
            cid = rng.randrange(1, customers + 1)
            language = customer_language[cid - 1]
            first_name = names[cid % len(names)]
            group = groups[rng.randrange(len(groups))]
            channel = rng.choice(channels)
            agent = rng.choice(agents)
            queue = queues[tid % len(queues)]
            at = start + dt.timedelta(seconds=rng.uniform(0, span))
            tcopy.write_row((tid, cid, queue.pk, agent.pk, "", "solved", "normal", channel, at, at, at, at))
            reference = f"T-{tid + 1000}"
            agent_name = f"{agent.first_name} {agent.last_name}"
            flip = rng.random() < 0.001
            for answer in range(2):
                message_id += 1
                when = at + dt.timedelta(hours=answer * rng.uniform(1, 72))
                version_id, kind, reason, body, rendered_text, distance, ratio = None, "playbook", "", "", "", 0, 0.0
                slug = group["slug"]
                if slug == "esim":
                    kind, reason = "off_playbook", "No playbook answer yet"
                    if rng.random() < 0.6:
                        body = scenario.ESIM_CLUSTER[rng.randrange(len(scenario.ESIM_CLUSTER))].format(name=first_name)
                    else:
                        body = f"Hi {first_name}, {rng.choice(scenario.DIVERSE_OFF_PLAYBOOK)}"
                    distance, ratio = None, None
                else:
                    roll = (cid * 7919 + group["topic"].pk * 104729) % 10
                    if slug == "data-overage":
                        version = group["versions"]["audit-refund-overage" if roll < 7 else "audit-refuse-overage"]
                        if flip and answer == 1:
                            version = group["versions"]["audit-refuse-overage" if roll < 7 else "audit-refund-overage"]
                            seeded["contradiction"] += 1
                    elif slug == "roaming":
                        credit = roll < 8 if channel == "x" else roll < 2
                        version = group["versions"]["audit-roaming-credit" if credit else "audit-roaming-explain"]
                    else:
                        version = group["v1"] if when < change_at else group["v2"]
                        if when >= change_at and rng.random() < 0.002:
                            version = group["v1"]
                            seeded["stale"] += 1
                    version_id = version.pk
                    rendered_text = rendered[version.pk][(channel, language)].replace("\x01", first_name).replace("\x02", reference).replace("\x03", agent_name)
                    body = rendered_text
                    roll = rng.random()
                    if roll < 0.002:
                        body = f"{rendered_text}\n{rng.choice(promise_lines[language])}"
                        seeded["promise"] += 1
                    elif roll < 0.004:
                        body = "Dear customer,\n\n" + rendered_text.split("\n", 1)[-1]
                        seeded["tone"] += 1
                    elif roll < 0.10:
                        body = f"{rendered_text}\n{rng.choice(friendly[language])}".strip()
                    if body != rendered_text:
                        distance, ratio = word_edit_distance(rendered_text, body)
                    if rng.random() < 0.05:
                        kind, reason = "exception", "Gesture"
                        body = f"{body}\n\n{rendering.exception_sentence(version, language)}"
                mcopy.write_row((message_id, tid, "out", channel, agent.pk, body, None, "", "", "sent", "", uuid.uuid4(), 0, language, "{}", when, when))
                rcopy.write_row((message_id, message_id, version_id, kind, reason, group["topic"].pk, channel, language, rendered_text, distance, ratio, when))
            progress.advance()
    progress.finish()
    for conn in conns[1:]:
        conn.commit()
    for conn in conns:
        conn.close()
    with connection.cursor() as cursor:
        for table in ("inbox_customer", "inbox_ticket", "inbox_message", "resolutions_answerrecord"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        cursor.execute("ANALYZE")
    return seeded


def wipe() -> None:
    from django.db import connection

    _stack.wipe_inbox_tables()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_finding, audit_coachingnote, audit_weeklyscore, audit_auditstate, resolutions_answerrecord, "
                       "resolutions_topicconfirmation, resolutions_resolutionversion, resolutions_resolution, resolutions_topic RESTART IDENTITY CASCADE")
        cursor.execute("DELETE FROM auth_user WHERE username LIKE 'bench-%%'")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="measure the history already seeded (same --records), don't seed again")
    args = parser.parse_args()
    url = _stack.require_postgres()
    _stack.ensure_database(url)
    _stack.setup_django()
    _stack.migrate()
    from django.utils import timezone

    from audit import findings, metrics, selectors
    from resolutions.models import AnswerRecord

    from audit.models import Finding

    if args.reuse and AnswerRecord.objects.count() == args.records:
        now = AnswerRecord.objects.latest("created_at").created_at + dt.timedelta(days=4)
        seeded = {}
        Finding.objects.all().delete()
    else:
        wipe()
        now = timezone.now()
        started = time.perf_counter()
        seeded = seed(args.records, now)
        print(f"seeded {AnswerRecord.objects.count():,} answer records in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    rows = []
    started = time.perf_counter()
    metrics.recompute_all()
    rows.append(("weekly aggregates from scratch (nightly job)", f"{time.perf_counter() - started:.2f}", "", ""))
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        selectors.dashboard(weeks=WEEKS)
        timings.append(time.perf_counter() - started)
    rows.append(("dashboard figures (refresh + sums), median of 3", f"{statistics.median(timings):.2f}", "<= 3", ""))
    started = time.perf_counter()
    metrics.figures(weeks=WEEKS, live=True)
    rows.append(("dashboard figures live from the records (no aggregates)", f"{time.perf_counter() - started:.2f}", "", ""))
    started = time.perf_counter()
    result = findings.run_audit(now=now, broadcast=False)
    total = time.perf_counter() - started
    for kind in findings.FINDERS:
        rows.append((f"findings: {kind}", f"{result['seconds'][kind]:.2f}", "", f"{result['found'][kind]:,} ({seeded.get(kind, '-')})"))
    rows.append(("findings: store", f"{result['seconds']['store']:.2f}", "", f"{result['created']:,} created"))
    rows.append(("findings job total", f"{total:.2f}", "<= 60", ""))
    print(f"\n{args.records:,} answer records on PostgreSQL, {WEEKS} weeks, {COPIES * 4} topics\n")
    print(_stack.table(["step", "seconds", "target", "findings (answers seeded)"], rows))
    print(json.dumps({"records": args.records, "seconds": {k: round(v, 3) for k, v in result["seconds"].items()}, "total": round(total, 3)}))


if __name__ == "__main__":
    main()
