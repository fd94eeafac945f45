"""Demo users and a handful of realistic tickets for ``manage.py demo``.

Tickets are made the way real traffic makes them: inbound messages go through
``inbox.actions.receive`` (so customers, identities, threading and events are
exactly what a channel adapter would produce), agent work goes through
``reply``/``add_note``/``set_status``/``assign``. Replies are only sent on web
and email, the channels with an outbound adapter, so the demo doesn't open on a
wall of "failed" deliveries.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from channels_app.base import InboundMessage, Sender
from inbox import actions
from inbox.models import Channel, Customer, Queue, Ticket
from inbox.permissions import SUPERVISORS

AGENT_USERNAME = "agent"
SUPERVISOR_USERNAME = "supervisor"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str


# --- users ---------------------------------------------------------------------------


@transaction.atomic
def ensure_demo_users() -> list[DemoLogin]:
    """Create (or keep) the demo agent and supervisor and give each a fresh
    random password, so the logins printed by this run always work. Nothing
    secret lives in the code or on disk."""
    general, _ = Queue.objects.get_or_create(slug=actions.DEFAULT_QUEUE_SLUG, defaults={"name": "General"})
    billing, _ = Queue.objects.get_or_create(slug="billing", defaults={"name": "Billing"})
    supervisors, _ = Group.objects.get_or_create(name=SUPERVISORS)

    agent = _user(AGENT_USERNAME, first_name="Sam", last_name="Visser")
    general.members.add(agent)
    billing.members.add(agent)
    supervisor = _user(SUPERVISOR_USERNAME, first_name="Ingrid", last_name="Bos")
    supervisor.groups.add(supervisors)

    logins = []
    for role, user in (("agent", agent), ("supervisor", supervisor)):
        password = _new_password()
        user.set_password(password)
        user.save(update_fields=["password"])
        logins.append(DemoLogin(role=role, username=user.get_username(), password=password))
    return logins


def _user(username: str, *, first_name: str, last_name: str):
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=username,
        defaults={"first_name": first_name, "last_name": last_name, "email": f"{username}@example.com"},
    )
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


def _new_password() -> str:
    # Readable on a terminal (no look-alike punctuation), ~72 bits of entropy.
    return secrets.token_urlsafe(9)


def get_agent():
    return get_user_model().objects.get(username=AGENT_USERNAME)


def delete_demo_users() -> None:
    get_user_model().objects.filter(username__in=[AGENT_USERNAME, SUPERVISOR_USERNAME]).delete()


# --- tickets -------------------------------------------------------------------------


@dataclass(frozen=True)
class In:
    """A customer's message as a channel adapter would hand it over."""

    channel: str
    provider_id: str
    body: str
    senders: tuple[Sender, ...]
    hours_ago: float  # before the moment of seeding; 0 = just now
    name: str = ""
    subject: str = ""
    # The customer answered through their signed link: the adapter vouches for the ticket.
    via_customer_link: bool = False
    consent_follow_up: bool = False


@dataclass(frozen=True)
class Reply:
    body: str


@dataclass(frozen=True)
class Note:
    body: str


@dataclass(frozen=True)
class Status:
    status: str


@dataclass(frozen=True)
class AssignToAgent:
    pass


@dataclass(frozen=True)
class Conversation:
    steps: tuple = field(default_factory=tuple)


EMMA_EMAIL = Sender(kind="email", value="emma.jansen@example.com")
EMMA_PHONE = Sender(kind="phone", value="+31 6 12345678")

CONVERSATIONS: tuple[Conversation, ...] = (
    # Emma writes through the contact form (email + phone: one customer, two
    # identities), gets an answer by email, replies through her link...
    Conversation((
        In(Channel.WEB, "demo-web-0001", "Hello, my bill for March shows €38.50 in mobile data charges, but I was "
           "on Wi-Fi at home almost the whole month. Can you check what happened?",
           (EMMA_EMAIL, EMMA_PHONE), hours_ago=30, name="Emma Jansen", subject="Unexpected data charges in March",
           consent_follow_up=True),
        AssignToAgent(),
        Reply("Hi Emma, thanks for flagging this. I can see 2.1 GB of mobile data on 14 March between 02:00 and "
              "04:00 — that pattern usually means a phone backup ran over mobile data. Since this is the first time, "
              "I have refunded the €38.50; you'll see it on your next bill."),
        In(Channel.WEB, "demo-web-0002", "Thank you Sam, that was quick! I switched off backups over mobile data.",
           (EMMA_EMAIL,), hours_ago=0, via_customer_link=True),
        Status(Ticket.Status.SOLVED),
    )),
    # ... and later texts from the same phone number: same customer, new channel.
    Conversation((
        In(Channel.SMS, "SMdemo00000000000000000000000001", "Hoi, ik kan sinds gisteren niet meer bellen naar het "
           "buitenland. Zit daar een blokkade op?", (EMMA_PHONE,), hours_ago=2),
        Note("Emma again (see her web ticket). International calling bar was switched on after the refund — "
             "check with billing before lifting it."),
    )),
    Conversation((
        In(Channel.SMS, "SMdemo00000000000000000000000002", "Mijn router doet het niet meer sinds de storing van "
           "vanochtend. Alle lampjes knipperen oranje. Opnieuw opstarten helpt niet.",
           (Sender(kind="phone", value="06 23456789"),), hours_ago=5, name="Jeroen Bakker"),
        AssignToAgent(),
        Note("Outage in Utrecht-Oost was fixed at 11:40; orange blinking after that means the router needs a "
             "factory reset. Call him back — SMS replies are not configured in the demo."),
        Status(Ticket.Status.PENDING),
    )),
    Conversation((
        In(Channel.PHONE, "CAdemo00000000000000000000000001", "Voicemail (transcribed): Hi, this is Mark Thompson. "
           "I'm moving abroad at the end of next month and I'd like to cancel my contract. Please call me back on "
           "this number.", (Sender(kind="phone", value="+44 7911 123456"),), hours_ago=26, name="Mark Thompson",
           subject="Cancel contract (moving abroad)"),
        Note("Moving abroad counts as a reason for early termination without a fee. Ask for proof of the new address."),
    )),
    Conversation((
        In(Channel.X, "demo-x-1790000000000000001", "@unisono_care third day without internet and nobody picks up "
           "the phone. Is anyone actually working there?", (Sender(kind="x", value="1500000000000000001",
           handle="dana_k"),), hours_ago=1.5, name="Dana K."),
    )),
    Conversation((
        In(Channel.X, "demo-x-1790000000000000002", "@unisono_care waarom is mijn factuur deze maand €40 hoger dan "
           "normaal? Ik heb niks veranderd.", (Sender(kind="x", value="1500000000000000002", handle="pietvdberg"),),
           hours_ago=4, name="Piet van den Berg"),
        AssignToAgent(),
    )),
    Conversation((
        In(Channel.EMAIL, "<demo-0001@mail.example.net>", "Beste klantenservice,\n\nOp 2 maart heb ik mijn "
           "abonnement opgezegd en jullie beloofden het teveel betaalde bedrag (€24,99) binnen 14 dagen terug te "
           "storten. Het is nu vier weken later en ik heb nog steeds niets ontvangen.\n\nMet vriendelijke groet,\n"
           "Fatima El Amrani", (Sender(kind="email", value="Fatima.ElAmrani@example.nl"),), hours_ago=50,
           name="Fatima El Amrani", subject="Terugbetaling nog steeds niet ontvangen"),
        AssignToAgent(),
        Reply("Beste Fatima, het spijt me dat je zo lang moet wachten — dat hadden we je beloofd en niet "
              "waargemaakt. Ik heb de terugbetaling van €24,99 vandaag met spoed laten uitvoeren; het staat binnen "
              "twee werkdagen op je rekening. Hartelijke groet, Sam"),
        Status(Ticket.Status.SOLVED),
    )),
    Conversation((
        In(Channel.EMAIL, "<demo-0002@mail.example.com>", "Hi, I was in Spain last week and got a text saying I had "
           "used my roaming bundle. I thought roaming in the EU was free? I don't want a surprise on my bill.",
           (Sender(kind="email", value="oliver.smith@example.com"),), hours_ago=8, name="Oliver Smith",
           subject="Roaming charges in Spain?"),
        Reply("Hi Oliver, roaming in the EU is included at home prices, up to your plan's fair-use limit of 12 GB. "
              "The text meant you had reached that limit; nothing extra was charged. Anything above it costs "
              "€2 per GB, and you can check your usage in the app any time."),
        Status(Ticket.Status.PENDING),
    )),
    Conversation((
        In(Channel.WEB, "demo-web-0003", "Ik wil mijn abonnement opzeggen per 1 mei. Moet ik het modem "
           "terugsturen?", (Sender(kind="email", value="l.dejong@example.nl"),), hours_ago=12, name="Lotte de Jong",
           subject="Abonnement opzeggen"),
        Reply("Hoi Lotte, je opzegging per 1 mei is verwerkt. Je krijgt binnen een week een retourlabel voor het "
              "modem per e-mail; terugsturen is gratis. Jammer dat je gaat — bedankt voor de afgelopen jaren!"),
        Status(Ticket.Status.SOLVED),
    )),
    Conversation((
        In(Channel.WEB, "demo-web-0004", "Call-me-back request: please call me between 17:00 and 19:00 about a "
           "double charge on my last invoice.", (Sender(kind="phone", value="+31 6 87654321"),), hours_ago=0.5,
           name="Youssef Haddad", subject="Call me back: double charge"),
    )),
)


def seed_tickets(*, agent, progress=None) -> int:
    """Play every demo conversation through the actions; returns the number of
    tickets. ``progress(done, total)`` is called after each conversation."""
    for done, conversation in enumerate(CONVERSATIONS, 1):
        ticket: Ticket | None = None
        for step in conversation.steps:
            if isinstance(step, In):
                ticket = actions.receive(_inbound(step, ticket=ticket)).message.ticket
            elif isinstance(step, Reply):
                actions.reply(ticket=ticket, author=agent, body=step.body)
            elif isinstance(step, Note):
                actions.add_note(ticket=ticket, author=agent, body=step.body)
            elif isinstance(step, Status):
                actions.set_status(ticket=ticket, status=step.status, by=agent)
            elif isinstance(step, AssignToAgent):
                actions.assign(ticket=ticket, assignee=agent, by=agent)
        if progress is not None:
            progress(done, len(CONVERSATIONS))
    return Ticket.objects.count()


def _inbound(step: In, *, ticket: Ticket | None) -> InboundMessage:
    # Agent replies are stamped "now" by the actions, so a customer's answer to
    # one (hours_ago=0) must be stamped after it to read in order.
    return InboundMessage(
        channel=step.channel,
        provider_id=step.provider_id,
        body=step.body,
        senders=step.senders,
        received_at=timezone.now() - timedelta(hours=step.hours_ago),
        name=step.name,
        subject=step.subject,
        ticket_reference=ticket.reference if (step.via_customer_link and ticket is not None) else "",
        consent_follow_up=step.consent_follow_up,
    )


def delete_tickets_and_customers() -> None:
    """Empty the inbox for ``demo --reset``. Deletion is no domain action (it
    would never happen to real tickets), so it lives here, not in inbox.actions.
    Messages and events go with their tickets (CASCADE), identities with customers."""
    with transaction.atomic():
        Ticket.objects.all().delete()
        Customer.objects.all().delete()
