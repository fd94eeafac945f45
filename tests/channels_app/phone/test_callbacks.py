"""Callback tasks: from the call-me-back form and from missed calls; the queue
page; logging the call closes the task."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from inbox import actions
from inbox.models import CallbackTask, Event, Message, Ticket
from tests.channels_app.phone.conftest import CUSTOMER, payload

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")
STATUS = "/channels/phone/status/"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=AMS)


@pytest.mark.parametrize(
    ("window", "now", "due"),
    [
        ("asap", "2026-11-16 14:00", "2026-11-16 15:30"),
        ("office", "2026-11-16 10:00", "2026-11-16 17:00"),  # Monday, inside office hours
        ("office", "2026-11-16 18:00", "2026-11-17 17:00"),  # after hours: next working day
        ("office", "2026-11-20 18:00", "2026-11-23 17:00"),  # Friday evening: Monday
        ("evening", "2026-11-16 14:00", "2026-11-16 22:00"),
        ("evening", "2026-11-16 22:30", "2026-11-17 22:00"),
    ],
)
def test_the_due_time_follows_the_window(window, now, due):
    assert actions.callback_due_at(window, at=None, now=at(now)) == at(due)


def test_a_chosen_time_is_the_due_time():
    chosen = at("2026-11-18 09:15")
    assert actions.callback_due_at("at", at=chosen, now=at("2026-11-16 14:00")) == chosen


def test_the_call_me_back_form_creates_a_callback_task(post_callback):
    response = post_callback(window="evening")

    assert response.status_code == 302
    task = CallbackTask.objects.get()
    assert task.source == CallbackTask.Source.WEB_FORM
    assert task.window == "evening"
    assert task.phone == CUSTOMER
    assert task.request_message == Message.objects.get()
    assert timezone.localtime(task.due_at).hour == 22
    assert Event.objects.filter(type="callback.updated").count() == 1


def test_a_chosen_time_on_the_form_is_the_due_time(post_callback):
    chosen = timezone.localtime() + timedelta(days=2)
    chosen = chosen.replace(second=0, microsecond=0)

    post_callback(window="at", preferred_at=chosen.strftime("%Y-%m-%dT%H:%M"))

    assert CallbackTask.objects.get().due_at == chosen


def test_the_same_form_posted_twice_is_one_task(post_callback):
    submission = str(uuid.uuid4())
    post_callback(submission_id=submission)
    post_callback(submission_id=submission)

    assert CallbackTask.objects.count() == 1


def test_a_contact_form_creates_no_callback_task(post_contact):
    post_contact()

    assert CallbackTask.objects.count() == 0


# --- the queue page ------------------------------------------------------------------


@pytest.fixture
def callbacks(post_callback, post_twilio, queue):
    """One missed call (due in 90 minutes) and a web request due this evening
    or later, and an overdue one; all in the agent's queue."""
    post_callback(window="at", preferred_at=(timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    post_twilio(STATUS, payload("call_status_no_answer", From="+31687654321"))
    post_callback(phone="+31611112222", window="asap", remote_addr="203.0.113.99")
    overdue = CallbackTask.objects.get(phone="+31611112222")
    CallbackTask.objects.filter(pk=overdue.pk).update(due_at=timezone.now() - timedelta(minutes=5))
    Ticket.objects.update(queue=queue)
    return CallbackTask.objects.order_by("due_at")


def test_the_queue_lists_open_callbacks_by_due_time_with_overdue_ones_marked(client, agent, callbacks):
    client.force_login(agent)

    page = client.get("/inbox/callbacks/").content.decode()

    rows = [f'id="callback-{task.pk}"' for task in callbacks]
    positions = [page.index(row) for row in rows]
    assert positions == sorted(positions)
    first_row = page[positions[0] - 200 : positions[0]]
    assert "overdue" in first_row
    # Every row carries the badge (the page shows it live when a due time passes); only the overdue one shows it now.
    assert page.count('<span class="badge failed overdue-badge">overdue</span>') == 1
    assert page.count('<span class="badge failed overdue-badge" hidden>overdue</span>') == 2
    assert "Missed call: within 90 minutes" in page
    assert "Call-me-back form: at a chosen time" in page


def test_the_queue_refresh_returns_just_the_rows(client, agent, callbacks):
    client.force_login(agent)

    rows = client.get("/inbox/callbacks/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="callback-rows").content.decode()

    assert rows.count('class="callback-row') == 3
    assert "<html" not in rows


def test_the_queue_page_is_live_from_the_event_it_was_rendered_at(client, agent, callbacks):
    client.force_login(agent)
    latest = Event.objects.order_by("-id").first()

    page = client.get("/inbox/callbacks/").content.decode()

    assert 'data-page="callbacks"' in page
    assert f'data-last-event="{latest.id}"' in page
    assert "unisono/live.js" in page
    assert 'id="live-status"' in page
    assert 'id="callback-rows" data-now=' in page  # frames, not polling: no hx-trigger on the rows


def test_the_queue_shows_only_callbacks_of_queues_the_agent_works(client, outsider, callbacks):
    client.force_login(outsider)

    page = client.get("/inbox/callbacks/").content.decode()

    assert 'class="callback-row' not in page
    assert "No callbacks waiting." in page


def test_the_queue_is_paged_by_due_time(client, agent, callbacks, monkeypatch):
    from inbox import views_phone

    monkeypatch.setattr(views_phone, "PAGE_SIZE", 2)
    client.force_login(agent)
    ordered = list(callbacks)

    first = client.get("/inbox/callbacks/").content.decode()
    second = client.get(f"/inbox/callbacks/?after={ordered[1].pk}").content.decode()

    assert f"?after={ordered[1].pk}" in first
    assert f'id="callback-{ordered[2].pk}"' in second and f'id="callback-{ordered[0].pk}"' not in second
    assert client.get("/inbox/callbacks/?after=x").status_code == 400


# --- logging calls -------------------------------------------------------------------


def _log(client, ticket, **fields):
    data = {
        "submission_id": str(uuid.uuid4()),
        "direction": "out",
        "outcome": "answered",
        "minutes": "3",
        "seconds": "20",
        "summary": "Reset the line remotely; customer confirmed it works.",
    }
    data.update(fields)
    return client.post(f"/inbox/t/{ticket.pk}/log-call/", {k: v for k, v in data.items() if v is not None})


def test_logging_the_call_from_a_missed_call_closes_its_task(client, agent, post_twilio, queue):
    post_twilio(STATUS, payload("call_status_no_answer"))
    task = CallbackTask.objects.get()
    Ticket.objects.update(queue=queue)
    client.force_login(agent)

    form_page = client.get(f"/inbox/t/{task.ticket_id}/log-call/?callback={task.pk}")
    assert form_page.status_code == 200
    assert f'value="{task.pk}"' in form_page.content.decode()
    response = _log(client, task.ticket, callback=str(task.pk))

    assert response.status_code == 302
    logged = Message.objects.get(provider_id__startswith="log:")
    assert (logged.channel, logged.direction, logged.author) == ("phone", "out", agent)
    assert logged.meta["call"] == {
        "direction": "out", "outcome": "answered", "duration": 200, "logged": True,
        "summary": "Reset the line remotely; customer confirmed it works.",
    }
    assert "Outbound call: call answered (3 min 20 s)." in logged.body
    task.refresh_from_db()
    assert task.status == CallbackTask.Status.DONE
    assert task.logged_call == logged
    assert task.done_by == agent
    assert 'class="callback-row' not in client.get("/inbox/callbacks/").content.decode()
    assert Event.objects.filter(type="callback.updated").count() == 2


def test_a_double_submitted_log_is_one_call(client, agent, post_twilio, queue):
    post_twilio(STATUS, payload("call_status_no_answer"))
    task = CallbackTask.objects.get()
    Ticket.objects.update(queue=queue)
    client.force_login(agent)
    submission = str(uuid.uuid4())

    first = _log(client, task.ticket, callback=str(task.pk), submission_id=submission)
    second = _log(client, task.ticket, callback=str(task.pk), submission_id=submission)

    assert first.status_code == second.status_code == 302
    assert Message.objects.filter(provider_id__startswith="log:").count() == 1


def test_an_agent_can_log_an_inbound_call_on_any_ticket(client, agent, post_twilio, queue):
    post_twilio("/channels/phone/sms/", payload("sms_inbound"))
    ticket = Ticket.objects.get()
    Ticket.objects.update(queue=queue)
    client.force_login(agent)

    response = _log(client, ticket, direction="in", minutes="", seconds="45", summary="Asked about the invoice date.")

    assert response.status_code == 302
    logged = Message.objects.get(provider_id__startswith="log:")
    assert logged.direction == "in"
    assert logged.meta["call"]["duration"] == 45
    assert "Inbound call: call answered (45 s)." in logged.body
    page = client.get(f"/inbox/t/{ticket.pk}/").content.decode()
    assert "Asked about the invoice date." in page
    assert "Log a phone call" in page


def test_an_answered_call_without_a_summary_is_refused_and_nothing_is_stored(client, agent, post_twilio, queue):
    post_twilio(STATUS, payload("call_status_no_answer"))
    task = CallbackTask.objects.get()
    Ticket.objects.update(queue=queue)
    client.force_login(agent)

    response = _log(client, task.ticket, callback=str(task.pk), summary="  ")

    assert response.status_code == 400
    assert "Write down what was said" in response.content.decode()
    task.refresh_from_db()
    assert task.status == CallbackTask.Status.OPEN
    assert not Message.objects.filter(provider_id__startswith="log:").exists()


def test_a_no_answer_attempt_may_be_logged_without_summary_and_closes_the_task(client, agent, post_twilio, queue):
    post_twilio(STATUS, payload("call_status_no_answer"))
    task = CallbackTask.objects.get()
    Ticket.objects.update(queue=queue)
    client.force_login(agent)

    assert _log(client, task.ticket, callback=str(task.pk), outcome="no-answer", summary="", minutes="", seconds="").status_code == 302

    task.refresh_from_db()
    assert task.status == CallbackTask.Status.DONE


def test_a_callback_that_is_already_done_cannot_be_closed_again(client, agent, post_twilio, queue):
    post_twilio(STATUS, payload("call_status_no_answer"))
    task = CallbackTask.objects.get()
    Ticket.objects.update(queue=queue)
    client.force_login(agent)
    _log(client, task.ticket, callback=str(task.pk))

    response = _log(client, task.ticket, callback=str(task.pk))

    assert response.status_code == 400
    assert "already done" in response.content.decode()


def test_log_call_on_a_ticket_in_another_queue_is_not_found(client, outsider, post_twilio, queue):
    post_twilio(STATUS, payload("call_status_no_answer"))
    task = CallbackTask.objects.get()
    Ticket.objects.update(queue=queue)
    client.force_login(outsider)

    assert client.get(f"/inbox/t/{task.ticket_id}/log-call/").status_code == 404
    assert _log(client, task.ticket, callback=str(task.pk)).status_code == 404
    task.refresh_from_db()
    assert task.status == CallbackTask.Status.OPEN


def test_a_callback_of_another_ticket_is_not_found(client, agent, post_twilio, queue):
    post_twilio(STATUS, payload("call_status_no_answer"))
    post_twilio(STATUS, payload("call_status_no_answer", CallSid="CA" + "1" * 32, From="+31687654321"))
    first, second = CallbackTask.objects.order_by("pk")
    Ticket.objects.update(queue=queue)
    client.force_login(agent)

    assert _log(client, first.ticket, callback=str(second.pk)).status_code == 404


def test_the_ticket_page_shows_the_open_callback(client, agent, post_twilio, queue):
    post_twilio(STATUS, payload("call_status_no_answer"))
    task = CallbackTask.objects.get()
    Ticket.objects.update(queue=queue)
    client.force_login(agent)

    page = client.get(f"/inbox/t/{task.ticket_id}/").content.decode()

    assert f"?callback={task.pk}" in page
    assert "sms_counter.js" in page
