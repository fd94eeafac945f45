"""A realistic answer history with known, seeded inconsistencies.

Used by ``manage.py seed_audit_scenario`` (to try the supervisor pages) and by
the tests, which check that the audit finds every seeded inconsistency and
little else. The history is written as an import would write it (tickets,
messages and their answer records with past timestamps); playbook versions go
through ``resolutions.actions`` like any change.

Consistent answers: every customer gets one resolution per topic whatever the
channel (the choice depends on the customer, never on the channel), answers are
the playbook's rendering or a friendly edit of it, exceptions carry the gesture
sentence, off-playbook answers (with a reason) are few and unlike each other.

Seeded (``Manifest.expected`` holds the finding keys, or key prefixes):
- divergence: on X, roaming is credited to 80% of customers; every other channel explains and refuses;
- contradictions: three customers got the overage refunded on one channel and refused on another;
- promises outside policy, in English and Dutch: amounts above the limit, refunds where
  the policy has none, a date where it promises none;
- an off-playbook cluster: six agents' answers on activating an eSIM, nearly the same text;
- stale version: answers recorded against the retired SIM-delivery wording after the
  change, and an off-playbook answer repeating the retired wording;
- tone: one agent's "Dear customer" replies, another's blame ("zoals al eerder gezegd").
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from inbox.models import Customer, Message, Queue, Ticket
from resolutions import actions as resolution_actions
from resolutions import rendering
from resolutions.models import AnswerRecord, Resolution, Topic

CHANNELS = ("web", "email", "phone", "sms", "x")

PLAYBOOK = {
    "data-overage": {
        "names": {"en": "Unexpected data charges", "nl": "Onverwachte datakosten"},
        "resolutions": {
            "audit-refund-overage": {
                "title": "Refund the data overage up to 50 EUR", "promises": {"refund_max_eur": 50, "once_per_months": 12},
                "answers": {
                    "en": {"default": "Hi {first_name},\n\nSorry the data charges surprised you. I've refunded the extra data costs; you'll see the credit on your next bill.\n\nWarm regards,\n{agent_name}"},
                    "nl": {"default": "Hoi {first_name},\n\nSorry dat de datakosten je verrasten. Ik heb de extra datakosten teruggestort; je ziet het op je volgende rekening.\n\nHartelijke groet,\n{agent_name}"},
                },
            },
            "audit-refuse-overage": {
                "title": "Second overage within a year: explain, no refund", "promises": {},
                "answers": {
                    "en": {"default": "Hi {first_name},\n\nI understand the data charges are frustrating. Because we already made a one-off correction this year, we can't refund them again; I've set a data alert for you so it won't happen unnoticed.\n\nKind regards,\n{agent_name}"},
                    "nl": {"default": "Hoi {first_name},\n\nIk snap dat de datakosten vervelend zijn. Omdat we dit jaar al eenmalig hebben gecorrigeerd, kunnen we ze niet nog eens terugstorten; ik heb een datamelding voor je ingesteld.\n\nGroet,\n{agent_name}"},
                },
            },
        },
    },
    "roaming": {
        "names": {"en": "Charges while abroad", "nl": "Kosten in het buitenland"},
        "resolutions": {
            "audit-roaming-explain": {
                "title": "Explain roaming rates, no credit", "promises": {},
                "answers": {
                    "en": {"default": "Hi {first_name},\n\nOutside the EU calls and data are charged at the rates in the welcome SMS you received on arrival. These charges are correct, so they stay on your bill. A travel bundle makes your next trip cheaper.\n\nBest,\n{agent_name}"},
                    "nl": {"default": "Hoi {first_name},\n\nBuiten de EU gelden de tarieven uit de welkomst-sms die je bij aankomst kreeg. Deze kosten kloppen en blijven op je rekening staan. Met een reisbundel is je volgende reis goedkoper.\n\nGroet,\n{agent_name}"},
                },
            },
            "audit-roaming-credit": {
                "title": "Credit roaming when no warning SMS was sent", "promises": {"refund_max_eur": 75},
                "answers": {
                    "en": {"default": "Hi {first_name},\n\nOur welcome SMS with the rates didn't reach you, so I've credited the roaming charges; the credit shows on your next bill.\n\nBest,\n{agent_name}"},
                    "nl": {"default": "Hoi {first_name},\n\nJe hebt onze welkomst-sms met tarieven niet gekregen, dus ik heb de roamingkosten gecrediteerd; je ziet het op je volgende rekening.\n\nGroet,\n{agent_name}"},
                },
            },
        },
    },
    "sim-delivery": {
        "names": {"en": "SIM card not delivered", "nl": "Simkaart niet ontvangen"},
        "resolutions": {
            "audit-resend-sim": {
                "title": "Resend the SIM", "promises": {"resend_within_working_days": 2},
                "answers": {
                    "en": {"default": "Hi {first_name},\n\nSorry your SIM hasn't arrived. Our courier will bring a replacement card to your door tomorrow morning before noon.\n\nBest,\n{agent_name}"},
                    "nl": {"default": "Hoi {first_name},\n\nSorry dat je simkaart niet is aangekomen. Onze koerier brengt morgenochtend voor twaalf uur een nieuwe kaart aan de deur.\n\nGroet,\n{agent_name}"},
                },
            },
        },
    },
    "esim": {"names": {"en": "Activating an eSIM", "nl": "eSIM activeren"}, "resolutions": {}},
}

# The second wording of the SIM delivery (courier promises were dropped).
RESEND_V2 = {
    "en": {"default": "Hi {first_name},\n\nSorry your SIM hasn't arrived. I've sent a new one by post; it arrives within 2 working days.\n\nBest,\n{agent_name}"},
    "nl": {"default": "Hoi {first_name},\n\nSorry dat je simkaart niet is aangekomen. Ik heb een nieuwe per post gestuurd; je hebt hem binnen 2 werkdagen.\n\nGroet,\n{agent_name}"},
}

FRIENDLY_EDITS = {
    "en": ["Have a lovely day!", "Thanks for your patience.", "Let me know if there's anything else.", ""],
    "nl": ["Fijne dag nog!", "Bedankt voor je geduld.", "Laat het weten als er nog iets is.", ""],
}
FIRST_NAMES = ["Anna", "Bram", "Chloe", "Daan", "Eva", "Finn", "Greta", "Hugo", "Iris", "Jens", "Karin", "Lars", "Mila", "Noah",
               "Olga", "Pieter", "Quinn", "Rosa", "Sven", "Tess", "Ugo", "Vera", "Wout", "Xena", "Yara", "Zeno"]
DIVERSE_OFF_PLAYBOOK = [
    "I've passed your question about the invoice layout to our billing team; they'll reply by email.",
    "Your number porting request is with the other provider now. Nothing else is needed from you.",
    "The outage in your street was fixed this afternoon. Restart your router if the connection stays slow.",
    "I've changed the delivery address on your account to the new one you gave us.",
    "Voicemail can be switched off by calling 1233 and choosing option four in the menu.",
    "Your contract runs until the end of next year; the handset instalments stop at the same time.",
]
ESIM_CLUSTER = [
    "Hi {name}, to activate your eSIM open the app, go to Settings > eSIM and scan the QR code we emailed you. Then restart your phone.",
    "Hi {name}, to activate the eSIM open our app, go to Settings > eSIM and scan the QR code from the email. Restart your phone afterwards.",
    "Hello {name}, to activate your eSIM: open the app, go to Settings > eSIM, scan the QR code we emailed you, then restart the phone.",
    "Hi {name}! To activate your eSIM open the app, go to Settings then eSIM and scan the QR code we sent by email. Then restart your phone.",
    "Hi {name}, you can activate your eSIM in the app: Settings > eSIM, scan the QR code we emailed you, then restart your phone.",
    "Hi {name}, to activate your eSIM open the app, go to Settings > eSIM and scan the QR code in our email. Afterwards restart your phone.",
]


@dataclass
class Manifest:
    expected: list[str] = field(default_factory=list)  # finding keys (a trailing ":" = any key with this prefix)
    seeded_messages: set[int] = field(default_factory=set)  # every message that carries a seeded inconsistency
    answers: int = 0
    topics: dict = field(default_factory=dict)
    resolutions: dict = field(default_factory=dict)
    agents: dict = field(default_factory=dict)

    def matches(self, key: str) -> str | None:
        for expected in self.expected:
            if key == expected or (expected.endswith(":") and key.startswith(expected)):
                return expected
        return None


class _Writer:
    def __init__(self, queue: Queue, now: dt.datetime, rng: random.Random):
        self.queue, self.now, self.rng = queue, now, rng
        self.count = 0

    def customer(self, name: str, language: str) -> Customer:
        return Customer.objects.create(name=name, language=language, created_at=self.now - dt.timedelta(days=80))

    def answer(self, *, customer, agent, channel, at, body=None, version=None, kind=AnswerRecord.Kind.PLAYBOOK, topic=None,
               edit="", reason="") -> Message:
        ticket = Ticket.objects.create(
            customer=customer, queue=self.queue, assignee=agent, subject="", origin_channel=channel, status=Ticket.Status.SOLVED,
            created_at=at - dt.timedelta(hours=2), updated_at=at, first_response_at=at, solved_at=at,
        )
        Message.objects.create(ticket=ticket, direction=Message.Direction.IN, channel=channel, body="(customer question)",
                               status=Message.Status.RECEIVED, created_at=at - dt.timedelta(hours=2), language=customer.language)
        language = customer.language or "en"
        rendered = ""
        if version is not None:
            rendered = rendering.render_version(
                version, channel=channel, language=language, first_name=customer.first_name, ticket_ref=ticket.reference,
                agent_name=agent.get_full_name(),
            ).text
            if body is None:
                body = f"{rendered}\n{edit}".strip() if edit else rendered
        message = Message.objects.create(ticket=ticket, direction=Message.Direction.OUT, channel=channel, author=agent, body=body,
                                         status=Message.Status.SENT, created_at=at, sent_at=at, language=language)
        record = AnswerRecord(message=message, version=version, kind=kind, channel=channel, language=language,
                              rendered_text=rendered, created_at=at, reason=reason,
                              topic=topic or (version.resolution.topic if version else None))
        if version is not None:
            sent = body
            if kind == AnswerRecord.Kind.EXCEPTION:
                sentence = rendering.exception_sentence(version, language)
                message.body = f"{body}\n\n{sentence}"
                message.save(update_fields=["body"])
                record.reason = reason or "Long-standing customer, first complaint"
            record.edit_distance, record.edit_ratio = resolution_actions.word_edit_distance(rendered, sent)
        record.save()
        self.count += 1
        return message


# What seed() reports progress in: the consistent history channel by channel,
# then the new SIM wording, the honest off-playbook answers, the inconsistencies.
SEED_STEPS = len(CHANNELS) + 3


@transaction.atomic
def seed(*, now: dt.datetime | None = None, seed_value: int = 7, customers_per_channel: int = 30, progress=None) -> Manifest:
    """Write the scenario; returns what the audit should find.
    ``progress(done, SEED_STEPS)`` is called after each step."""
    from django.contrib.auth import get_user_model

    rng = random.Random(seed_value)
    now = now or timezone.now()
    manifest = Manifest()
    User = get_user_model()
    queue, _ = Queue.objects.get_or_create(slug="audit-care", defaults={"name": "Care"})
    agents = []
    for index, (first, last) in enumerate([("Ada", "Jansen"), ("Ben", "Smit"), ("Cleo", "de Vries"), ("Dirk", "Bakker"),
                                            ("Elif", "Visser"), ("Femke", "Mulder"), ("Gijs", "Bos")]):
        agent, _ = User.objects.get_or_create(username=f"audit-{first.lower()}", defaults={"first_name": first, "last_name": last})
        queue.members.add(agent)
        agents.append(agent)
        manifest.agents[first] = agent.pk
    supervisor, _ = User.objects.get_or_create(username="audit-supervisor", defaults={"first_name": "Ingrid", "last_name": "Dahl"})

    topics, resolutions = {}, {}
    for position, (slug, spec) in enumerate(PLAYBOOK.items()):
        topic, _ = Topic.objects.get_or_create(slug=f"audit-{slug}", defaults={"names": spec["names"], "position": 100 + position})
        topics[slug] = topic
        for resolution_slug, resolution_spec in spec["resolutions"].items():
            resolution = Resolution.objects.create(topic=topic, slug=resolution_slug, title=resolution_spec["title"],
                                                   promises=resolution_spec["promises"], policy=resolution_spec["title"])
            resolution_actions.resolution_new_version(resolution=resolution, answers=resolution_spec["answers"],
                                                      promises=resolution_spec["promises"], change_note="First version", by=supervisor)
            resolution.refresh_from_db()
            resolutions[resolution_slug] = resolution
    manifest.topics = {slug: topic.pk for slug, topic in topics.items()}
    manifest.resolutions = {slug: r.pk for slug, r in resolutions.items()}

    def current(slug):
        return Resolution.objects.select_related("current_version__resolution__topic").get(slug=slug).current_version

    writer = _Writer(queue, now, rng)
    done_steps = 0

    def step() -> None:
        nonlocal done_steps
        done_steps += 1
        if progress is not None:
            progress(done_steps, SEED_STEPS)
    names = iter(f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {chr(65 + (i // len(FIRST_NAMES)) % 26)}{i}" for i in range(100000))

    def when(days_ago_low: float, days_ago_high: float) -> dt.datetime:
        return now - dt.timedelta(days=rng.uniform(days_ago_low, days_ago_high))

    # The SIM wording changed 30 days ago: version 1 answered before, version 2 after.
    v1 = current("audit-resend-sim")
    change_at = now - dt.timedelta(days=30)

    refund, refuse = current("audit-refund-overage"), current("audit-refuse-overage")
    explain, credit = current("audit-roaming-explain"), current("audit-roaming-credit")

    # --- consistent history, equal per channel ---------------------------------------
    for channel in CHANNELS:
        for index in range(customers_per_channel):
            language = "nl" if index % 3 == 0 else "en"
            customer = writer.customer(next(names), language)
            agent = agents[index % 5]
            edit = rng.choice(FRIENDLY_EDITS[language])
            # Data overage: first-timers (7 in 10, the same share on every channel) get the refund.
            version = refund if index % 10 < 7 else refuse
            exception = version is refuse and index % 10 == 9 and channel != "x"
            first = writer.answer(customer=customer, agent=agent, channel=channel, at=when(40, 80), version=version, edit=edit,
                                  kind=AnswerRecord.Kind.EXCEPTION if exception else AnswerRecord.Kind.PLAYBOOK)
            # Some come back on another channel about the same topic: they hear the same answer.
            if index % 4 == 0:
                other = CHANNELS[(CHANNELS.index(channel) + 2) % len(CHANNELS)]
                writer.answer(customer=customer, agent=agents[(index + 1) % 5], channel=other, at=first.created_at + dt.timedelta(days=5),
                              version=version)
            # Roaming: explained, on every channel but X (seeded below).
            if channel != "x":
                writer.answer(customer=customer, agent=agent, channel=channel, at=when(10, 60), version=explain if index % 10 < 8 else credit,
                              edit=rng.choice(FRIENDLY_EDITS[language]))
            # SIM delivery: before the change with v1.
            if index % 3 == 1:
                writer.answer(customer=customer, agent=agent, channel=channel, at=when(31, 60), version=v1)
        step()

    # The SIM wording changes (through the action, as the editor does it).
    resolution_actions.resolution_new_version(resolution=resolutions["audit-resend-sim"], answers=RESEND_V2,
                                              change_note="Post instead of courier", by=supervisor)
    from resolutions.models import ResolutionVersion

    ResolutionVersion.objects.filter(pk=v1.pk).update(retired_at=change_at)
    v1.refresh_from_db()
    ResolutionVersion.objects.filter(resolution=v1.resolution, number=2).update(created_at=change_at)
    v2 = current("audit-resend-sim")
    for channel in CHANNELS:
        for index in range(6):
            customer = writer.customer(next(names), "en" if index % 2 else "nl")
            writer.answer(customer=customer, agent=agents[index % 5], channel=channel, at=when(1, 29), version=v2,
                          edit=rng.choice(FRIENDLY_EDITS[customer.language]))

    step()

    # A few honest off-playbook answers, each unlike the others.
    for index, text in enumerate(DIVERSE_OFF_PLAYBOOK):
        customer = writer.customer(next(names), "en")
        writer.answer(customer=customer, agent=agents[index % 5], channel=CHANNELS[index % 5], at=when(1, 60),
                      body=f"Hi {customer.first_name}, {text}", kind=AnswerRecord.Kind.OFF_PLAYBOOK, reason="Not in the playbook")

    step()

    # --- seeded inconsistencies -----------------------------------------------------------
    # Divergence: X credits roaming to 8 in 10 customers, the other channels to 2 in 10.
    for index in range(customers_per_channel):
        customer = writer.customer(next(names), "en" if index % 3 else "nl")
        message = writer.answer(customer=customer, agent=agents[5], channel="x", at=when(5, 50), version=credit if index % 10 < 8 else explain)
        if index % 10 < 8:
            manifest.seeded_messages.add(message.pk)
    manifest.expected.append(f"divergence:{topics['roaming'].pk}:x")

    # Contradictions: refunded on one channel, refused on another, within two weeks.
    for index, (first_channel, second_channel) in enumerate([("phone", "x"), ("web", "sms"), ("email", "phone")]):
        customer = writer.customer(next(names), "en" if index != 1 else "nl")
        at = when(15, 40)
        first = writer.answer(customer=customer, agent=agents[index], channel=first_channel, at=at, version=refund)
        second = writer.answer(customer=customer, agent=agents[index + 1], channel=second_channel, at=at + dt.timedelta(days=9), version=refuse)
        manifest.seeded_messages |= {first.pk, second.pk}
        manifest.expected.append(f"contradiction:{customer.pk}:{topics['data-overage'].pk}:{first.pk}")

    # Promises outside policy, in English and Dutch.
    promises = [
        ("en", refund, "I've refunded the extra data costs of 120 EUR; you'll see the credit on your next bill."),
        ("nl", refund, "Ik heb € 85 aan extra datakosten teruggestort; je ziet het op je volgende rekening."),
        ("en", refuse, "Because of the trouble, I'll refund the charges this time anyway."),
        ("nl", refuse, "We zullen de kosten toch vergoeden, je ziet het bedrag uiterlijk 15 maart terug."),
        ("en", explain, "As a gesture we will refund 40 euro of the roaming charges."),
        ("nl", explain, "We betalen de kosten terug: 60 euro staat binnen 3 dagen op je rekening."),
    ]
    for index, (language, version, extra) in enumerate(promises):
        customer = writer.customer(next(names), language)
        message = writer.answer(customer=customer, agent=agents[index % 4], channel=CHANNELS[index % 5], at=when(2, 20), version=version, edit=extra)
        manifest.seeded_messages.add(message.pk)
        manifest.expected.append(f"promise:{message.pk}")

    # Off-playbook cluster: agents improvise the same eSIM answer.
    for index, template in enumerate(ESIM_CLUSTER):
        customer = writer.customer(next(names), "en")
        message = writer.answer(customer=customer, agent=agents[index % 6], channel=CHANNELS[index % 5], at=when(1, 20),
                                body=template.format(name=customer.first_name), kind=AnswerRecord.Kind.OFF_PLAYBOOK,
                                topic=topics["esim"], reason="No playbook answer yet")
        manifest.seeded_messages.add(message.pk)
    manifest.expected.append(f"cluster:{topics['esim'].pk}:en:")

    # Stale version: Gijs keeps sending the retired courier wording after the change.
    gijs = agents[6]
    for index in range(3):
        customer = writer.customer(next(names), "en")
        message = writer.answer(customer=customer, agent=gijs, channel=CHANNELS[index], at=when(2, 25), version=v1)
        manifest.seeded_messages.add(message.pk)
    customer = writer.customer(next(names), "en")
    message = writer.answer(
        customer=customer, agent=agents[4], channel="email", at=when(2, 25), kind=AnswerRecord.Kind.OFF_PLAYBOOK, topic=topics["sim-delivery"],
        body=f"Hi {customer.first_name},\n\nOur courier will bring a replacement card to your door tomorrow morning before noon. Sorry!",
        reason="Quicker to type",
    )
    manifest.seeded_messages.add(message.pk)
    manifest.expected += [f"stale:{v1.pk}:{gijs.pk}", f"stale:{v1.pk}:{agents[4].pk}"]

    # Tone: Femke opens with "Dear customer" and no name.
    for index in range(2):
        customer = writer.customer(next(names), "en")
        message = writer.answer(customer=customer, agent=agents[5], channel="email", at=when(2, 20), version=refund,
                                body="Dear customer,\n\nThe extra data costs are refunded; you'll see the credit on your next bill.\n\nRegards")
        manifest.seeded_messages.add(message.pk)
    manifest.expected += [f"tone:{agents[5].pk}:generic_salutation", f"tone:{agents[5].pk}:no_name"]

    # Tone: Dirk answers the playbook's roaming explanation but adds blame, in Dutch.
    for index in range(2):
        customer = writer.customer(next(names), "nl")
        message = writer.answer(customer=customer, agent=agents[3], channel=("email", "sms")[index], at=when(2, 20), version=explain,
                                edit="Zoals al eerder gezegd: dat staat in de voorwaarden die je hebt geaccepteerd.")
        manifest.seeded_messages.add(message.pk)
    manifest.expected.append(f"tone:{agents[3].pk}:blame")
    manifest.answers = writer.count
    step()
    return manifest
