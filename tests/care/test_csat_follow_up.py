"""Satisfaction surveys and follow-ups: on the customer's channel (email, SMS,
an X direct message; SMS after a phone call), once, never to customers who
opted out; a follow-up goes days later and an answer to it reopens the ticket."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.core import mail
from django.utils import timezone

from care import actions as care_actions
from care.links import unsubscribe_path
from care.models import CsatSurvey, ExitReason, FollowUp
from channels_app.base import Sender
from inbox import actions
from inbox.models import Customer, Message, Ticket
from resolutions.models import AnswerRecord, Topic, TopicConfirmation
from tests.care.conftest import CUSTOMER, answer, sms_ticket, solve, web_ticket
from tests.factories import inbound

pytestmark = pytest.mark.django_db


def _send_due(capture, **kwargs) -> dict:
    with capture(execute=True):
        return care_actions.send_due(**kwargs)


def test_web_ticket_is_surveyed_once_by_email_with_a_rating_link(queue, agent, django_capture_on_commit_callbacks):
    # Given a web ticket answered and solved
    ticket = web_ticket(queue)
    with django_capture_on_commit_callbacks(execute=True):
        actions.reply(ticket=ticket, author=agent, body="Fixed: we reset your line.")
    mail.outbox.clear()
    solve(ticket, agent)
    # When the care check runs twice
    assert _send_due(django_capture_on_commit_callbacks)["surveys"] == 1
    assert _send_due(django_capture_on_commit_callbacks)["surveys"] == 0
    # Then one survey, on the web channel, went out as one email to the customer
    survey = CsatSurvey.objects.get(ticket=ticket)
    assert survey.channel == "web"
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["anna@example.org"]
    assert "How did we do?" in email.body and "/rate/" in email.body
    # with the unsubscribe link every email carries
    assert unsubscribe_path(ticket.customer_id) in email.body
    assert email.extra_headers["List-Unsubscribe"].endswith(unsubscribe_path(ticket.customer_id) + ">")
    # and, like every outbound message, exactly one AnswerRecord (off-playbook, reason "survey")
    record = AnswerRecord.objects.get(message=survey.message)
    assert record.kind == AnswerRecord.Kind.OFF_PLAYBOOK and record.reason == care_actions.SURVEY_REASON
    assert Message.objects.filter(ticket=ticket, direction="out").count() == 2
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED


def test_sms_ticket_is_surveyed_by_sms(queue, agent, twilio_api, django_capture_on_commit_callbacks):
    ticket = sms_ticket(queue)
    answer(ticket, agent, django_capture_on_commit_callbacks)
    solve(ticket, agent)
    _send_due(django_capture_on_commit_callbacks)
    survey = CsatSurvey.objects.get(ticket=ticket)
    assert survey.channel == "sms" and survey.message.channel == "sms"
    survey.message.refresh_from_db()
    assert survey.message.status == Message.Status.SENT
    sent = [parse_qs(call.request.body) for call in twilio_api.calls]
    # the answer, then the survey: both by SMS to the customer's number
    assert len(sent) == 2 and sent[1]["To"] == [CUSTOMER] and "/rate/" in sent[1]["Body"][0]
    assert not mail.outbox


def test_no_survey_for_a_customer_who_unsubscribed(client, queue, agent, django_capture_on_commit_callbacks):
    # Given the customer used the unsubscribe link from an earlier email
    ticket = web_ticket(queue)
    assert client.get(unsubscribe_path(ticket.customer_id)).status_code == 200
    response = client.post(unsubscribe_path(ticket.customer_id))
    assert response.status_code == 200 and "won't send you surveys" in response.content.decode()
    # When their ticket is answered, solved and the check runs
    answer(ticket, agent, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    solve(ticket, agent)
    result = _send_due(django_capture_on_commit_callbacks)
    # Then nothing more is sent
    assert result["surveys"] == 0
    assert not CsatSurvey.objects.exists() and not mail.outbox
    assert Message.objects.filter(direction="out").count() == 1


def test_a_forged_unsubscribe_link_is_refused(client, queue):
    ticket = web_ticket(queue)
    assert client.post(f"/unsubscribe/{ticket.customer_id}:forged/").status_code == 403
    assert not care_actions.opted_out(ticket.customer)


def _rate_url(ticket) -> str:
    from channels_app.webform.links import customer_ticket_path

    return customer_ticket_path(ticket) + "rate/"


def test_the_rating_page_records_a_rating_and_comment_once(client, queue, agent, django_capture_on_commit_callbacks):
    ticket = web_ticket(queue)
    answer(ticket, agent, django_capture_on_commit_callbacks)
    solve(ticket, agent)
    _send_due(django_capture_on_commit_callbacks)
    url = _rate_url(ticket)
    assert client.get(url).status_code == 200
    # A rating outside 1-5 is refused with a message, nothing stored
    bad = client.post(url, {"rating": "7", "comment": "great"})
    assert bad.status_code == 400 and "from 1 to 5" in bad.content.decode()
    assert CsatSurvey.objects.get(ticket=ticket).rating is None
    # A valid one is stored on the ticket's survey
    assert client.post(url, {"rating": "4", "comment": "Quick and kind <b>thanks</b>"}).status_code == 302
    survey = CsatSurvey.objects.get(ticket=ticket)
    assert (survey.rating, survey.comment) == (4, "Quick and kind <b>thanks</b>")
    page = client.get(url).content.decode()
    assert "You rated our help 4 out of 5" in page
    # The first answer counts
    client.post(url, {"rating": "1"})
    assert CsatSurvey.objects.get(ticket=ticket).rating == 4


def test_a_tampered_rating_link_is_refused(client, queue):
    ticket = web_ticket(queue)
    assert client.get(_rate_url(ticket).replace(":", "x", 1)).status_code == 403


def test_a_cancellation_captures_the_exit_reason(client, queue, agent, django_capture_on_commit_callbacks):
    ticket = web_ticket(queue, body="I want to cancel my subscription")
    topic = Topic.objects.create(slug="cancel", names={"en": "Cancel subscription"}, cancellation=True)
    TopicConfirmation.objects.create(ticket=ticket, topic=topic, confirmed_by=agent)
    answer(ticket, agent, django_capture_on_commit_callbacks)
    solve(ticket, agent)
    _send_due(django_capture_on_commit_callbacks)
    assert "why you are leaving" in mail.outbox[-1].body
    client.post(_rate_url(ticket), {"rating": "2", "exit_reason": "price", "exit_detail": "Found cheaper"})
    reason = ExitReason.objects.get(ticket=ticket)
    assert (reason.reason, reason.detail, reason.topic) == ("price", "Found cheaper", topic)


def test_follow_up_goes_out_days_later_and_an_answer_reopens_the_ticket(
    queue, agent, twilio_api, settings, django_capture_on_commit_callbacks
):
    settings.UNISONO_FOLLOW_UP_DAYS = 3
    # Given an SMS customer who agreed to follow-ups and whose ticket was solved 4 days ago
    ticket = sms_ticket(queue)
    Customer.objects.filter(pk=ticket.customer_id).update(consent_follow_up=True)
    answer(ticket, agent, django_capture_on_commit_callbacks)
    solve(ticket, agent)
    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(solved_at=now - timedelta(days=4))
    # When the check runs (twice)
    assert _send_due(django_capture_on_commit_callbacks, now=now)["follow_ups"] == 1
    assert _send_due(django_capture_on_commit_callbacks, now=now)["follow_ups"] == 0
    # Then one follow-up went out by SMS, recorded like any reply
    follow_up = FollowUp.objects.get(ticket=ticket)
    assert follow_up.channel == "sms" and follow_up.message.direction == "out"
    assert "is everything working now?" in follow_up.message.body
    assert AnswerRecord.objects.get(message=follow_up.message).reason == care_actions.FOLLOW_UP_REASON
    # And when the customer answers by SMS, the same ticket opens again
    received = actions.receive(inbound(channel="sms", senders=(Sender(kind="phone", value=CUSTOMER),), body="No, still broken"))
    assert received.message.ticket_id == ticket.pk
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN and ticket.solved_at is None


def test_no_follow_up_without_consent(queue, agent, twilio_api, django_capture_on_commit_callbacks):
    ticket = sms_ticket(queue)
    answer(ticket, agent, django_capture_on_commit_callbacks)
    solve(ticket, agent)
    Ticket.objects.filter(pk=ticket.pk).update(solved_at=timezone.now() - timedelta(days=10))
    assert _send_due(django_capture_on_commit_callbacks)["follow_ups"] == 0
    assert not FollowUp.objects.exists()


def test_a_ticket_never_answered_is_not_surveyed(queue, agent, django_capture_on_commit_callbacks):
    # Solved without a word from us (spam, a duplicate): nothing to rate, and a
    # survey must not pass for our first response in the reports
    ticket = web_ticket(queue)
    solve(ticket, agent)
    assert _send_due(django_capture_on_commit_callbacks)["surveys"] == 0
    ticket.refresh_from_db()
    assert ticket.first_response_at is None and not mail.outbox


# --- surveys on X and after a phone call ----------------------------------------------------

X_MENTION_ID = "1790000000000000102"  # Anna's mention in mentions_page.json (X user 1234567890)
X_DM_URL = "https://api.twitter.com/2/dm_conversations/with/1234567890/messages"


def test_an_x_customer_is_surveyed_once_by_direct_message_never_in_public(
    queue, agent, x_settings, x_api, django_capture_on_commit_callbacks
):
    from channels_app.social.tasks import poll_x_account
    from tests.channels_app.social.conftest import TWEETS_URL, calls_to, fixture, serve_polls

    # Given Anna's public mention, polled from X, answered in public and solved
    serve_polls(x_api, mentions="mentions_page.json")
    x_api.post(TWEETS_URL, json=fixture("create_tweet.json"), status=201)
    x_api.post(X_DM_URL, json=fixture("create_dm.json"), status=201)
    poll_x_account.delay("default")
    ticket = Message.objects.get(provider_id=X_MENTION_ID).ticket
    with django_capture_on_commit_callbacks(execute=True):
        actions.reply(ticket=ticket, author=agent, body="Hi Anna, the outage is fixed since 10:40.", channel="x")
    solve(ticket, agent)

    # When the care check runs twice
    assert _send_due(django_capture_on_commit_callbacks)["surveys"] == 1
    assert _send_due(django_capture_on_commit_callbacks)["surveys"] == 0

    # Then one DM went to Anna with the rating link, and nothing more was tweeted
    dms = calls_to(x_api, X_DM_URL, "POST")
    assert len(dms) == 1 and "/rate/" in json.loads(dms[0].request.body)["text"]
    assert len(calls_to(x_api, TWEETS_URL, "POST")) == 1  # the agent's public answer only
    survey = CsatSurvey.objects.get(ticket=ticket)
    survey.message.refresh_from_db()
    assert survey.channel == "x" and survey.message.meta["x_mode"] == "dm"
    assert survey.message.status == Message.Status.SENT and survey.message.provider_id == "dm-1790000000000000350"


def test_a_phone_ticket_is_surveyed_by_sms(queue, agent, post_twilio, twilio_api, django_capture_on_commit_callbacks):
    from tests.channels_app.phone.conftest import payload

    # Given a missed call (Twilio's status webhook) that we called back and solved
    assert post_twilio("/channels/phone/status/", payload("call_status_no_answer")).status_code in (200, 204)
    ticket = Ticket.objects.get()
    assert ticket.origin_channel == "phone"
    actions.log_call(ticket=ticket, author=agent, direction="out", outcome="answered", duration_seconds=240,
                     summary="Reset the router together; works again.", submission_id="call-1")
    solve(ticket, agent)

    # When the care check runs
    _send_due(django_capture_on_commit_callbacks)

    # Then the survey went by SMS to the number that called (a call cannot carry a link)
    survey = CsatSurvey.objects.get(ticket=ticket)
    assert survey.channel == "sms"
    sent = [parse_qs(call.request.body) for call in twilio_api.calls]
    assert len(sent) == 1 and sent[0]["To"] == [CUSTOMER] and "/rate/" in sent[0]["Body"][0]


def test_no_follow_up_before_the_configured_days(queue, agent, twilio_api, settings, django_capture_on_commit_callbacks):
    settings.UNISONO_FOLLOW_UP_DAYS = 3
    ticket = sms_ticket(queue)
    Customer.objects.filter(pk=ticket.customer_id).update(consent_follow_up=True)
    answer(ticket, agent, django_capture_on_commit_callbacks)
    solve(ticket, agent)
    solved_at = Ticket.objects.get(pk=ticket.pk).solved_at

    # Two days and 23 hours after solving: nothing yet
    assert _send_due(django_capture_on_commit_callbacks, now=solved_at + timedelta(days=2, hours=23))["follow_ups"] == 0
    assert not FollowUp.objects.exists()
    # Three days after: the follow-up goes
    assert _send_due(django_capture_on_commit_callbacks, now=solved_at + timedelta(days=3, minutes=1))["follow_ups"] == 1
