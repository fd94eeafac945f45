"""Breach alerts: computed with a controlled ``now``, fired once, carried live
over /ws/inbox/ (the real ASGI application and channel layer)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from care import actions as care_actions
from care import sla
from care.models import AgentAway, BusinessHours, TicketSla, Tier
from config.asgi import application
from inbox import actions
from inbox.models import Event, Message, Ticket
from tests.care.conftest import web_ticket
from tests.factories import QueueFactory, UserFactory


@pytest.mark.django_db
def test_first_response_breach_alerts_once(queue, agent):
    # Given a new normal-priority ticket (first answer due in 240 minutes, around the clock)
    ticket = web_ticket(queue)
    created = ticket.created_at
    # When the check runs before and after the due time, twice after
    assert sla.check_ticket(ticket.pk, now=created + timedelta(minutes=100)) == []
    assert sla.check_ticket(ticket.pk, now=created + timedelta(minutes=215)) == ["first_response_at_risk"]
    assert sla.check_ticket(ticket.pk, now=created + timedelta(minutes=241)) == ["first_response_breached"]
    assert sla.check_ticket(ticket.pk, now=created + timedelta(minutes=300)) == []
    # Then exactly two ticket.sla events exist and the row is marked breached
    events = list(Event.objects.filter(ticket=ticket, type=Event.Type.TICKET_SLA))
    assert [event.payload["alerts"] for event in events] == [["first_response_at_risk"], ["first_response_breached"]]
    state = TicketSla.objects.get(ticket=ticket)
    assert state.urgency == "breached"
    assert state.first_response_due == created + timedelta(minutes=240)


def _stamp_latest_status_change(ticket, when) -> None:
    """Move the ticket's latest status event to ``when`` of the controlled clock."""
    latest = Event.objects.filter(ticket=ticket, type=Event.Type.TICKET_UPDATED).latest("id")
    Event.objects.filter(pk=latest.pk).update(created_at=when)


def _answer_at(ticket, agent, when) -> None:
    message = actions.reply(ticket=ticket, author=agent, body="We're on it.")
    Message.objects.filter(pk=message.pk).update(created_at=when)
    Ticket.objects.filter(pk=ticket.pk).update(first_response_at=when)


@pytest.mark.django_db
def test_the_resolution_warns_once_after_the_first_answer_warned(queue, agent):
    # Given a normal ticket (first answer in 240 min, resolution in 1440) whose first answer was about to be late
    ticket = web_ticket(queue)
    created = ticket.created_at
    assert sla.check_ticket(ticket.pk, now=created + timedelta(minutes=215)) == ["first_response_at_risk"]
    _answer_at(ticket, agent, created + timedelta(minutes=220))
    assert sla.check_ticket(ticket.pk, now=created + timedelta(minutes=221)) == []
    # When the resolution comes within the warning time (30 min), and the check runs twice
    assert sla.check_ticket(ticket.pk, now=created + timedelta(minutes=1415)) == ["resolution_at_risk"]
    assert sla.check_ticket(ticket.pk, now=created + timedelta(minutes=1420)) == []
    # Then it warned once, live, and its breach still alerts once after
    assert sla.check_ticket(ticket.pk, now=created + timedelta(minutes=1441)) == ["resolution_breached"]
    assert sla.check_ticket(ticket.pk, now=created + timedelta(minutes=1442)) == []
    alerts = [event.payload["alerts"] for event in Event.objects.filter(ticket=ticket, type=Event.Type.TICKET_SLA)]
    assert [a for a in alerts if a] == [["first_response_at_risk"], ["resolution_at_risk"], ["resolution_breached"]]


@pytest.mark.django_db
def test_a_reopened_ticket_warns_again_once(queue, agent):
    # Given a ticket whose first answer was about to be late, then answered and solved
    ticket = web_ticket(queue)
    created = ticket.created_at
    assert sla.check_ticket(ticket.pk, now=created + timedelta(minutes=215)) == ["first_response_at_risk"]
    _answer_at(ticket, agent, created + timedelta(minutes=220))
    actions.set_status(ticket=ticket, status=Ticket.Status.SOLVED, by=agent)
    _stamp_latest_status_change(ticket, created + timedelta(minutes=300))
    Ticket.objects.filter(pk=ticket.pk).update(solved_at=created + timedelta(minutes=300))
    assert sla.check_ticket(ticket.pk, now=created + timedelta(minutes=301)) == []
    # When the customer writes again two days later (the ticket reopens: a new first-answer clock)
    reopening = web_ticket(queue, body="It broke again.").messages.latest("id")
    Message.objects.filter(pk=reopening.pk).update(created_at=created + timedelta(minutes=3000))
    _stamp_latest_status_change(ticket, created + timedelta(minutes=3000))
    assert sla.check_ticket(ticket.pk, now=created + timedelta(minutes=3100)) == []
    # Then the new first answer warns again, once
    assert sla.check_ticket(ticket.pk, now=created + timedelta(minutes=3215)) == ["first_response_at_risk"]
    assert sla.check_ticket(ticket.pk, now=created + timedelta(minutes=3216)) == []
    state = TicketSla.objects.get(ticket=ticket)
    assert state.first_response_due == created + timedelta(minutes=3240)
    # and the two solved days did not eat the resolution target (1440 min of our time)
    assert state.resolution_due == created + timedelta(minutes=1440 + 2700)
    assert sla.check_ticket(ticket.pk, now=created + timedelta(minutes=3241)) == ["first_response_breached"]


@pytest.mark.django_db
def test_a_pending_ticket_pauses_the_resolution_clock_through_the_check(queue, agent):
    # Given an answered ticket whose resolution (1440 min) is due at minute 1440
    ticket = web_ticket(queue)
    created = ticket.created_at
    _answer_at(ticket, agent, created + timedelta(minutes=10))
    # When it waits on the customer from minute 1000 and the check runs long after the target
    actions.set_status(ticket=ticket, status=Ticket.Status.PENDING, by=agent)
    _stamp_latest_status_change(ticket, created + timedelta(minutes=1000))
    assert sla.check_ticket(ticket.pk, now=created + timedelta(minutes=2000)) == []
    # Then nothing is breached: the clock is paused and has no due time
    state = TicketSla.objects.get(ticket=ticket)
    assert state.paused and state.resolution_due is None and not state.resolution_breached
    assert state.urgency == "" and state.paused_minutes == 1000
    # And when the customer answers at minute 2000, the 440 minutes left count from there
    actions.set_status(ticket=ticket, status=Ticket.Status.OPEN, by=agent)
    _stamp_latest_status_change(ticket, created + timedelta(minutes=2000))
    sla.check_ticket(ticket.pk, now=created + timedelta(minutes=2001))
    state = TicketSla.objects.get(ticket=ticket)
    assert not state.paused and state.resolution_due == created + timedelta(minutes=2440)


@pytest.mark.django_db
def test_vip_customers_get_tighter_targets(queue):
    ticket = web_ticket(queue)
    care_actions.update_preferences(customer=ticket.customer, change=care_actions.PreferenceChange(tier=Tier.VIP), actor=None, via="ui")
    sla.check_ticket(ticket.pk, now=ticket.created_at)
    assert TicketSla.objects.get(ticket=ticket).first_response_due == ticket.created_at + timedelta(minutes=120)


@pytest.mark.django_db
def test_due_times_follow_the_queues_business_hours(queue):
    # Given the queue is open 9-17 every day, and a ticket arriving at 16:30 local time
    for weekday in range(7):
        BusinessHours.objects.create(queue=queue, weekday=weekday, opens=time(9), closes=time(17))
    ticket = web_ticket(queue)
    local = timezone.localtime(timezone.now()).replace(hour=16, minute=30, second=0, microsecond=0)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=local)
    sla.check_ticket(ticket.pk, now=local)
    # Then 30 minutes count today and 210 tomorrow from 9:00
    due = timezone.localtime(TicketSla.objects.get(ticket=ticket).first_response_due)
    assert (due.date() - local.date()).days == 1 and (due.hour, due.minute) == (12, 30)


@pytest.mark.django_db
def test_an_answer_clears_the_first_response_urgency(queue, agent):
    ticket = web_ticket(queue)
    sla.check_ticket(ticket.pk, now=ticket.created_at + timedelta(minutes=241))
    actions.reply(ticket=ticket, author=agent, body="We're on it.")
    # The answer went out at minute 241 of the controlled clock
    Ticket.objects.filter(pk=ticket.pk).update(first_response_at=ticket.created_at + timedelta(minutes=241))
    sla.check_ticket(ticket.pk, now=ticket.created_at + timedelta(minutes=242))
    state = TicketSla.objects.get(ticket=ticket)
    # Answered late: a breach for the reports, but no longer urgent in the list
    assert state.first_response_breached and state.urgency == ""


@pytest.mark.django_db
def test_unanswered_message_on_an_away_agents_ticket_escalates_visibly(queue, agent):
    # Given a ticket answered once, assigned to Sam, who is away; then the customer writes again
    ticket = web_ticket(queue)
    actions.reply(ticket=ticket, author=agent, body="Which router model is it?")
    actions.assign(ticket=ticket, assignee=agent, by=agent)
    AgentAway.objects.create(user=agent)
    from tests.care.conftest import web_ticket as again  # same customer, same thread

    again(queue, body="It's the XR500.")
    # When the check runs right away
    alerts = sla.check_ticket(ticket.pk, now=timezone.now() + timedelta(minutes=1))
    # Then the waiting message escalates at once, naming the away assignee, and only once
    assert alerts == ["unanswered"]
    event = Event.objects.filter(ticket=ticket, type=Event.Type.TICKET_SLA).get()
    assert event.payload["assignee_away"] is True
    assert sla.check_ticket(ticket.pk, now=timezone.now() + timedelta(minutes=2)) == []
    assert TicketSla.objects.get(ticket=ticket).urgency == "breached"


@pytest.mark.django_db
def test_the_breached_row_is_marked_in_the_inbox_list(client, queue, agent):
    calm = web_ticket(queue, email="calm@example.org", body="Calm question")
    late = web_ticket(queue, email="late@example.org", body="Urgent question")
    sla.check_ticket(late.pk, now=late.created_at + timedelta(minutes=300))
    client.force_login(agent)
    html = client.get("/inbox/").content.decode()
    assert f'class="ticket-row sla-breached" data-ticket="{late.pk}"' in html
    assert f'class="ticket-row" data-ticket="{calm.pk}"' in html


@pytest.mark.django_db
def test_care_check_command_shows_progress_and_a_summary(queue, capsys):
    for index in range(3):
        web_ticket(queue, email=f"c{index}@example.org")
    call_command("care_check", "--sla-only", "--every", "2")
    out, err = capsys.readouterr()
    assert "SLA: 2/3" in err and "SLA: 3/3 (100%)" in err
    assert out.strip().splitlines() == ["care check: 3 tickets checked, 0 new alerts, 0 surveys and 0 follow-ups sent."]


# --- live ---------------------------------------------------------------------------


def _session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


@pytest.mark.django_db(transaction=True)
async def test_breach_alert_reaches_the_queues_agent_and_a_supervisor_live_once():
    general = await sync_to_async(QueueFactory)(slug="general", name="General")
    agent = await sync_to_async(UserFactory)(queues=[general])
    from tests.factories import SupervisorFactory

    boss = await sync_to_async(SupervisorFactory)()
    ticket = await sync_to_async(web_ticket)(general)
    sockets = []
    for user in (agent, boss):
        communicator = WebsocketCommunicator(
            application, "/ws/inbox/", headers=[(b"origin", b"http://127.0.0.1"), await sync_to_async(_session_cookie)(user)]
        )
        connected, _ = await communicator.connect()
        assert connected
        await communicator.send_json_to({"type": "resume", "after": await sync_to_async(_latest)()})
        assert (await communicator.receive_json_from())["type"] == "resumed"
        sockets.append(communicator)
    # When the periodic check runs past the first-answer target, twice
    late = ticket.created_at + timedelta(minutes=241)
    await sync_to_async(sla.check_all)(now=late)
    # Then both sockets get one ticket.sla frame...
    for communicator in sockets:
        frame = await communicator.receive_json_from(timeout=2)
        assert frame["type"] == "ticket.sla" and frame["ticket"] == ticket.pk
        assert "first_response_breached" in frame["data"]["alerts"]
        assert frame["data"]["urgency"] == "breached"
    # ...and nothing more when it runs again
    await sync_to_async(sla.check_all)(now=late + timedelta(minutes=1))
    for communicator in sockets:
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()


def _latest() -> int:
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


@pytest.mark.django_db(transaction=True)
async def test_an_urgency_change_without_an_alert_is_broadcast():
    general = await sync_to_async(QueueFactory)(slug="general", name="General")
    agent = await sync_to_async(UserFactory)(queues=[general])
    ticket = await sync_to_async(web_ticket)(general)
    created = ticket.created_at
    # Given a ticket whose first answer is late (breached, alerted)
    assert await sync_to_async(sla.check_ticket)(ticket.pk, now=created + timedelta(minutes=455)) == ["first_response_breached"]
    communicator = WebsocketCommunicator(
        application, "/ws/inbox/", headers=[(b"origin", b"http://127.0.0.1"), await sync_to_async(_session_cookie)(agent)]
    )
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"type": "resume", "after": await sync_to_async(_latest)()})
    assert (await communicator.receive_json_from())["type"] == "resumed"
    # When a supervisor lowers its priority (first answer due at 480 min): no longer breached, only at risk
    await sync_to_async(Ticket.objects.filter(pk=ticket.pk).update)(priority=Ticket.Priority.LOW)
    assert await sync_to_async(sla.check_ticket)(ticket.pk, now=created + timedelta(minutes=460)) == []
    # Then the list hears about it: one frame, no alert, the new urgency
    frame = await communicator.receive_json_from(timeout=2)
    assert frame["type"] == "ticket.sla" and frame["ticket"] == ticket.pk
    assert frame["data"]["alerts"] == [] and frame["data"]["urgency"] == "at_risk"
    # and an unchanged urgency sends nothing
    assert await sync_to_async(sla.check_ticket)(ticket.pk, now=created + timedelta(minutes=461)) == []
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


# --- targets from the tables: policies by priority and tier, holidays ------------------------


@pytest.mark.django_db
def test_sla_policies_set_targets_by_priority_and_tier(queue):
    from care.models import SlaPolicy

    SlaPolicy.objects.create(priority=Ticket.Priority.HIGH, tier=Tier.STANDARD, first_response_minutes=45, resolution_minutes=300)
    SlaPolicy.objects.create(priority=Ticket.Priority.HIGH, tier=Tier.VIP, first_response_minutes=15, resolution_minutes=90)
    standard = web_ticket(queue, email="std@example.org")
    vip = web_ticket(queue, email="vip@example.org")
    normal = web_ticket(queue, email="normal@example.org")
    Ticket.objects.filter(pk__in=[standard.pk, vip.pk]).update(priority=Ticket.Priority.HIGH)
    care_actions.update_preferences(customer=vip.customer, change=care_actions.PreferenceChange(tier=Tier.VIP), actor=None, via="ui")
    for ticket in (standard, vip, normal):
        sla.check_ticket(ticket.pk, now=ticket.created_at)

    def due(ticket) -> tuple[timedelta, timedelta]:
        state = TicketSla.objects.get(ticket=ticket)
        return state.first_response_due - ticket.created_at, state.resolution_due - ticket.created_at

    assert due(standard) == (timedelta(minutes=45), timedelta(minutes=300))
    assert due(vip) == (timedelta(minutes=15), timedelta(minutes=90))
    # No policy for normal priority: the defaults (240 / 1440)
    assert due(normal) == (timedelta(minutes=240), timedelta(minutes=1440))


@pytest.mark.django_db
def test_holidays_of_the_queue_and_of_every_queue_are_skipped(queue):
    from care.models import Holiday

    # Given the queue is open 9-17 every day; tomorrow is its own holiday, the day after everyone's
    for weekday in range(7):
        BusinessHours.objects.create(queue=queue, weekday=weekday, opens=time(9), closes=time(17))
    ticket = web_ticket(queue)
    local = timezone.localtime(timezone.now()).replace(hour=16, minute=30, second=0, microsecond=0)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=local)
    Holiday.objects.create(queue=queue, date=local.date() + timedelta(days=1), name="Queue's day off")
    Holiday.objects.create(queue=None, date=local.date() + timedelta(days=2), name="King's Day")
    Holiday.objects.create(queue=QueueFactory(slug="other"), date=local.date() + timedelta(days=3), name="Not ours")
    # When the check computes the first-answer due time (240 business minutes)
    sla.check_ticket(ticket.pk, now=local)
    # Then 30 minutes count today, both holidays are skipped, the other queue's is not
    due = timezone.localtime(TicketSla.objects.get(ticket=ticket).first_response_due)
    assert (due.date() - local.date()).days == 3 and (due.hour, due.minute) == (12, 30)


# --- the ticket page -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_ticket_page_shows_due_times_with_a_live_countdown(client, queue, agent):
    ticket = web_ticket(queue)
    sla.check_ticket(ticket.pk, now=ticket.created_at + timedelta(minutes=10))
    client.force_login(agent)
    due = timezone.localtime(TicketSla.objects.get(ticket=ticket).first_response_due)

    page = client.get(f"/inbox/t/{ticket.pk}/").content.decode()

    # Before the first answer: its due time, as a countdown live.js ticks
    assert "First answer due" in page
    assert f'data-countdown="{due.isoformat()}"' in page
    # After it: the resolution's due time instead
    actions.reply(ticket=ticket, author=agent, body="We're on it.")
    sla.check_ticket(ticket.pk, now=ticket.created_at + timedelta(minutes=20))
    resolution_due = timezone.localtime(TicketSla.objects.get(ticket=ticket).resolution_due)
    page = client.get(f"/inbox/t/{ticket.pk}/").content.decode()
    assert "First answer due" not in page and "Resolution due" in page
    assert f'data-countdown="{resolution_due.isoformat()}"' in page
    # Waiting on the customer: paused, no countdown
    actions.set_status(ticket=ticket, status=Ticket.Status.PENDING, by=agent)
    sla.check_ticket(ticket.pk, now=ticket.created_at + timedelta(minutes=30))
    page = client.get(f"/inbox/t/{ticket.pk}/").content.decode()
    assert "paused: waiting on the customer" in page and "data-countdown" not in page


@pytest.mark.django_db
def test_care_commands_refuse_a_bad_option_in_one_line(supervisor, tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError) as error:
        call_command("care_check", "--every", "0")
    assert str(error.value) == "Error: argument --every: must be at least 1, got 0"
    with pytest.raises(CommandError, match="^Error: argument --customer: must be a whole number, got 'anna'$"):
        call_command("care_export_customers", str(tmp_path / "x.jsonl"), "--by", supervisor.username, "--customer", "anna")
