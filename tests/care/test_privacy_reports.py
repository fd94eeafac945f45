"""Export and erasure of a customer (UI and API, audited; web, SMS/phone and X
customers; what the audit copied of them), and the reports page."""

from __future__ import annotations

import csv
import io
import json

import pytest
from rest_framework.authtoken.models import Token

from care import actions as care_actions
from care import selectors, sla
from care.models import CsatSurvey, PrivacyAudit
from inbox import actions
from inbox.models import Event, Identity, Message, Ticket
from tests.care.conftest import solve, web_ticket

pytestmark = pytest.mark.django_db

NAME, EMAIL, WORDS = "Anna de Vries", "anna@example.org", "my address is Keizersgracht 1"


@pytest.fixture
def anna_ticket(queue, agent, django_capture_on_commit_callbacks):
    ticket = web_ticket(queue, email=EMAIL, name=NAME, body=f"Router broken, {WORDS}")
    with django_capture_on_commit_callbacks(execute=True):
        actions.reply(ticket=ticket, author=agent, body="Hi Anna, we reset it.")
    solve(ticket, agent)
    sla.check_ticket(ticket.pk)
    with django_capture_on_commit_callbacks(execute=True):
        care_actions.send_due()
    care_actions.record_rating(ticket=ticket, rating=5, comment="Anna says thanks")
    return Ticket.objects.get(pk=ticket.pk)


def _report_counts() -> dict:
    data = selectors.report()
    return {
        "tickets": data["tickets"],
        "volume": [(row["key"], row["tickets"], row["inbound_messages"]) for row in data["volume"]],
        "first": [(row.label, row.count, row.median) for row in data["first_response_by_channel"]],
        "sla": data["sla"],
        "csat": data["csat"]["by_channel"],
    }


def _personal_strings_anywhere() -> list[str]:
    found = []
    haystacks = [m.body + json.dumps(m.meta) for m in Message.objects.all()]
    haystacks += [json.dumps(e.payload) for e in Event.objects.all()]
    haystacks += [i.value for i in Identity.objects.all()]
    haystacks += [t.subject for t in Ticket.objects.all()]
    haystacks += [s.comment for s in CsatSurvey.objects.all()]
    for needle in (NAME, "Anna", EMAIL, WORDS):
        if any(needle in hay for hay in haystacks):
            found.append(needle)
    return found


def test_erase_from_the_supervisor_page_removes_personal_data_and_keeps_the_figures(client, supervisor, anna_ticket):
    # Given Anna's data is everywhere, and the reports show her ticket
    assert set(_personal_strings_anywhere()) >= {NAME, EMAIL, WORDS}
    before = _report_counts()
    counts_before = (Message.objects.count(), Event.objects.count(), Ticket.objects.count())
    client.force_login(supervisor)
    page = client.get(f"/supervisor/care/customers/{anna_ticket.customer_id}/")
    assert page.status_code == 200 and EMAIL in page.content.decode()
    # A missing confirmation erases nothing
    client.post(f"/supervisor/care/customers/{anna_ticket.customer_id}/erase/", {"confirm": "yes"})
    assert Identity.objects.filter(customer=anna_ticket.customer).exists()
    # When the supervisor erases her
    response = client.post(f"/supervisor/care/customers/{anna_ticket.customer_id}/erase/", {"confirm": "ERASE"})
    assert response.status_code == 302
    # Then no personal data is left in messages, identities, events, subjects or comments
    assert _personal_strings_anywhere() == []
    assert not Identity.objects.filter(customer=anna_ticket.customer).exists()
    # while every count and every report figure stays the same
    assert (Message.objects.count(), Event.objects.count(), Ticket.objects.count()) == counts_before
    assert _report_counts() == before
    # and the audit trail says who did it
    audit = PrivacyAudit.objects.get(action="erase")
    assert (audit.customer_id, audit.actor, audit.via) == (anna_ticket.customer_id, supervisor, "ui")
    assert audit.counts["tickets"] == 1


def test_export_through_the_api_is_audited_and_agents_may_not(client, supervisor, agent, anna_ticket):
    token = Token.objects.create(user=supervisor)
    url = f"/api/care/customers/{anna_ticket.customer_id}/export/"
    response = client.get(url, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    data = response.json()
    assert data["customer"]["name"] == NAME
    assert data["identities"] == [{"kind": "email", "value": EMAIL, "handle": ""}]
    assert WORDS in data["tickets"][0]["messages"][0]["body"]
    assert data["tickets"][0]["satisfaction"]["rating"] == 5
    assert PrivacyAudit.objects.get().via == "api"
    # An agent gets a clear refusal and nothing is audited
    agent_token = Token.objects.create(user=agent)
    refused = client.get(url, HTTP_AUTHORIZATION=f"Token {agent_token.key}")
    assert refused.status_code == 403 and "supervisors" in refused.json()["detail"]
    assert PrivacyAudit.objects.count() == 1


def test_erase_through_the_api_needs_confirmation(client, supervisor, anna_ticket):
    token = Token.objects.create(user=supervisor)
    url = f"/api/care/customers/{anna_ticket.customer_id}/erase/"
    refused = client.post(url, {}, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert refused.status_code == 400 and "ERASE" in refused.json()["detail"]
    assert Identity.objects.exists()
    done = client.post(url, {"confirm": "ERASE"}, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert done.status_code == 200 and done.json()["erased"] == anna_ticket.customer_id
    assert _personal_strings_anywhere() == []
    assert client.post("/api/care/customers/999999/erase/", {"confirm": "ERASE"}, content_type="application/json",
                       HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 404


def test_ui_export_downloads_json(client, supervisor, anna_ticket):
    client.force_login(supervisor)
    response = client.post(f"/supervisor/care/customers/{anna_ticket.customer_id}/export/")
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["customer"]["id"] == anna_ticket.customer_id


def test_reports_page_with_svg_charts_and_csv(client, supervisor, agent, anna_ticket):
    client.force_login(agent)
    assert client.get("/supervisor/reports/").status_code == 403
    client.force_login(supervisor)
    page = client.get("/supervisor/reports/").content.decode()
    assert "<svg" in page and "Volume by channel" in page and "<script" not in page.split("<main>")[1].split("</main>")[0]
    rows = list(csv.reader(io.StringIO(client.get("/supervisor/reports/?format=csv").content.decode())))
    assert rows[0] == ["section", "label", "count", "median_minutes", "p90_minutes", "value"]
    assert ["volume", "Web", "1", "", "", "1"] in rows
    assert any(row[0] == "csat_by_channel" and row[1] == "Web" and row[5] == "5.0" for row in rows)


@pytest.mark.parametrize(
    ("language", "headings"),
    [
        ("en", ["Satisfaction by channel", "Satisfaction by agent", "Satisfaction by topic", "<th>Agent</th>", "<th>Topic</th>"]),
        ("nl", ["Tevredenheid per kanaal", "Tevredenheid per medewerker", "Tevredenheid per onderwerp", "<th>Medewerker</th>"]),
        ("da", ["Tilfredshed pr. kanal", "Tilfredshed pr. medarbejder", "Tilfredshed pr. emne"]),
        ("nb", ["Tilfredshet per kanal", "Tilfredshet per medarbeider", "Tilfredshet per emne"]),
    ],
)
def test_satisfaction_tables_have_human_headings_in_the_readers_language(client, supervisor, anna_ticket, language, headings):
    client.force_login(supervisor)
    page = client.get("/supervisor/reports/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    for heading in headings:
        assert heading in page, heading
    assert not any(key in page for key in ("by_channel", "by_agent", "by_topic"))


def test_percentiles():
    assert selectors.percentile([], 0.5) is None
    assert selectors.percentile([5, 1, 3], 0.5) == 3
    assert selectors.percentile(list(range(1, 11)), 0.9) == 9


def test_export_command_shows_progress_and_a_summary(tmp_path, supervisor, anna_ticket, capsys):
    from django.core.management import call_command

    web_ticket(anna_ticket.queue, email="second@example.org", name="Bo")
    target = tmp_path / "export.jsonl"
    call_command("care_export_customers", str(target), "--by", supervisor.username, "--every", "1")
    out, err = capsys.readouterr()
    assert "export: 1/2 (50%)" in err and "export: 2/2 (100%)" in err
    assert out.strip() == f"exported 2 customers to {target}."
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [line["customer"]["name"] for line in lines] == [NAME, "Bo"]
    assert PrivacyAudit.objects.filter(action="export", via="command").count() == 2


def test_export_command_refuses_an_unknown_customer(tmp_path, supervisor):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="No customer with id 424242"):
        call_command("care_export_customers", str(tmp_path / "x.jsonl"), "--by", supervisor.username, "--customer", "424242")
    assert not PrivacyAudit.objects.exists()


def test_supervisors_find_the_privacy_page_from_the_ticket(client, supervisor, agent, anna_ticket):
    client.force_login(supervisor)
    assert f"/supervisor/care/customers/{anna_ticket.customer_id}/" in client.get(f"/inbox/t/{anna_ticket.pk}/").content.decode()
    client.force_login(agent)
    page = client.get(f"/inbox/t/{anna_ticket.pk}/").content.decode()
    assert "/supervisor/care/customers/" not in page and "/supervisor/reports/" not in page


ESIM = "Hi {name}, scan the eSIM QR code we emailed you in Settings > Mobile, then restart the phone."


def _audit_text() -> str:
    from audit.models import Finding

    return json.dumps([[f.details, f.summary, f.triage_note] for f in Finding.objects.all()], ensure_ascii=False)


def test_erase_scrubs_what_the_audit_copied_of_the_customer(agent, supervisor, queue):
    from audit import findings, qa
    from audit.models import Finding, Review, ReviewBatch

    # Given four customers got the same improvised eSIM answer (a cluster; its proposal is one answer as sent), Anna first
    answers = {}
    for name, email in [(NAME, EMAIL), ("Bram Smit", "bram@example.org"), ("Cor Bos", "cor@example.org"), ("Dina Mol", "dina@example.org")]:
        ticket = web_ticket(queue, email=email, name=name, body="How do I activate my eSIM?")
        answers[name] = actions.reply(ticket=ticket, author=agent, body=ESIM.format(name=name.split()[0]))
    # and one answer to Anna that does not greet her by name (a tone finding counts her first name)
    anna_ticket = Ticket.objects.get(customer__name=NAME)
    unnamed = actions.reply(ticket=anna_ticket, author=agent, body="Hello, we have reset your line remotely and it works again.")
    findings.run_audit(broadcast=False)
    # and a supervisor's QA comment on her answer
    batch = ReviewBatch.objects.create(created_by=supervisor, per_channel=1, message_ids=[answers[NAME].pk])
    qa.review_save(batch=batch, message_id=answers[NAME].pk, by=supervisor,
                   scores={"right_resolution": 3, "personal": 2, "warm": 2, "clear": 4}, comment="Anna de Vries deserved warmer words")
    assert "Anna" in _audit_text()
    kinds_and_ids = sorted((f.kind, f.message_ids) for f in Finding.objects.all())
    assert {"cluster", "tone"} <= {kind for kind, _ids in kinds_and_ids}

    # When Anna is erased
    audit = care_actions.erase_customer(customer=anna_ticket.customer, actor=supervisor)

    # Then neither her name nor her answers' words are left in the findings, and the review has no comment
    text = _audit_text()
    assert "Anna" not in text and answers[NAME].body not in text and unnamed.body not in text
    review = Review.objects.get()
    assert review.comment == "" and (review.personal, review.clear) == (2, 4)
    # while the audit's figures stay: the same findings on the same messages, the same counts
    assert sorted((f.kind, f.message_ids) for f in Finding.objects.all()) == kinds_and_ids
    assert Finding.objects.get(kind="tone").details["phrases"] == {care_actions.ERASED: 1}
    assert audit.counts["audit"]["reviews"] == 1 and audit.counts["audit"]["findings"] >= 2


# --- reports: satisfaction by agent and topic, exit reasons -------------------------------------


def test_reports_show_satisfaction_by_agent_and_topic_and_why_customers_cancel(
    client, supervisor, agent, queue, django_capture_on_commit_callbacks
):
    from resolutions.actions import topic_confirm
    from resolutions.models import Topic
    from tests.factories import UserFactory

    kim = UserFactory(username="kim", first_name="Kim", last_name="Bos", queues=[queue])
    router = Topic.objects.create(slug="router", names={"en": "Router trouble"})
    cancel = Topic.objects.create(slug="cancel", names={"en": "Cancel subscription"}, cancellation=True)
    # Sam solves two router tickets (rated 5 and 3), Kim one cancellation (rated 2, leaving for the price)
    rated = []
    for index, (who, topic, rating) in enumerate([(agent, router, 5), (agent, router, 3), (kim, cancel, 2)]):
        ticket = web_ticket(queue, email=f"c{index}@example.org", name=f"Customer {index}")
        topic_confirm(ticket=ticket, topic=topic, by=who)
        actions.assign(ticket=ticket, assignee=who, by=who)
        with django_capture_on_commit_callbacks(execute=True):
            actions.reply(ticket=ticket, author=who, body="Sorted: it works again.")
        solve(ticket, who)
        rated.append((ticket, rating))
    with django_capture_on_commit_callbacks(execute=True):
        assert care_actions.send_due()["surveys"] == 3
    for ticket, rating in rated:
        care_actions.record_rating(ticket=ticket, rating=rating)
    care_actions.record_exit_reason(ticket=rated[2][0], reason="price", detail="Cheaper elsewhere")

    data = selectors.report()

    assert data["csat"]["by_agent"] == [
        {"label": "Kim Bos", "answers": 1, "average": 2.0, "satisfied_pct": 0},
        {"label": "Sam Visser", "answers": 2, "average": 4.0, "satisfied_pct": 50},
    ]
    assert [(row["label"], row["answers"], row["average"]) for row in data["csat"]["by_topic"]] == [
        ("Cancel subscription", 1, 2.0), ("Router trouble", 2, 4.0),
    ]
    assert data["exit_reasons"] == [{"reason": "Too expensive", "key": "price", "count": 1}]
    client.force_login(supervisor)
    page = client.get("/supervisor/reports/").content.decode()
    assert "Sam Visser" in page and "Router trouble" in page and "Too expensive" in page
    rows = list(csv.reader(io.StringIO(client.get("/supervisor/reports/?format=csv").content.decode())))
    assert ["csat_by_agent", "Sam Visser", "2", "", "", "4.0"] in rows
    assert ["csat_by_agent", "Kim Bos", "1", "", "", "2.0"] in rows
    assert ["csat_by_topic", "Router trouble", "2", "", "", "4.0"] in rows
    assert ["exit_reason", "price", "1", "", "", ""] in rows


# --- erasing SMS, phone and X customers ------------------------------------------------------------


def _found_anywhere(needles: list[str]) -> list[str]:
    """The needles still stored in any table that holds what customers said or who they are."""
    from inbox.models import CallbackTask, Customer
    from resolutions.models import AnswerRecord, TopicConfirmation

    haystacks = [m.body + m.in_reply_to + (m.provider_id or "") + m.status_detail + json.dumps(m.meta) for m in Message.objects.all()]
    haystacks += [json.dumps(e.payload) for e in Event.objects.all()]
    haystacks += [i.value + i.handle for i in Identity.objects.all()]
    haystacks += [t.subject for t in Ticket.objects.all()] + [c.name for c in Customer.objects.all()]
    haystacks += [task.phone for task in CallbackTask.objects.all()]
    haystacks += [s.comment for s in CsatSurvey.objects.all()]
    haystacks += [r.rendered_text for r in AnswerRecord.objects.all()] + [c.example_text for c in TopicConfirmation.objects.all()]
    return [needle for needle in needles if any(needle in hay for hay in haystacks)]


def test_erasing_a_phone_and_sms_customer_leaves_no_number_or_words(
    supervisor, agent, post_twilio, twilio_api, django_capture_on_commit_callbacks
):
    from inbox.models import CallbackTask
    from tests.care.conftest import CUSTOMER
    from tests.channels_app.phone.conftest import payload

    # Given Piet texted us (Twilio's webhook), then missed our call (a callback task holds his number)
    post_twilio("/channels/phone/sms/", payload("sms_inbound"))
    post_twilio("/channels/phone/status/", payload("call_status_no_answer"))
    ticket = Ticket.objects.get(origin_channel="sms")
    assert set(Ticket.objects.values_list("customer", flat=True)) == {ticket.customer_id}
    with django_capture_on_commit_callbacks(execute=True):
        actions.reply(ticket=ticket, author=agent, body="Hi Piet, we'll call you back within the hour on +31612345678.")
    words = "my internet has been down since this morning"
    assert CallbackTask.objects.get().phone == CUSTOMER
    assert set(_found_anywhere([CUSTOMER, words, "Piet"])) == {CUSTOMER, words, "Piet"}
    counts = (Message.objects.count(), Event.objects.count(), CallbackTask.objects.count())

    # When a supervisor erases him
    care_actions.erase_customer(customer=ticket.customer, actor=supervisor)

    # Then his number and words are nowhere, the callback task and every count stay
    assert _found_anywhere([CUSTOMER, "0612345678", words, "Piet"]) == []
    assert CallbackTask.objects.get().phone == ""
    assert (Message.objects.count(), Event.objects.count(), CallbackTask.objects.count()) == counts


def test_erasing_an_x_customer_leaves_no_handle_id_or_words(supervisor, agent, x_settings, x_api, django_capture_on_commit_callbacks):
    from channels_app.social.tasks import poll_x_account
    from tests.channels_app.social.conftest import TWEETS_URL, fixture, serve_polls

    # Given Anna (@anna_dv, X user 1234567890) mentioned us and got a public answer
    serve_polls(x_api, mentions="mentions_page.json")
    x_api.post(TWEETS_URL, json=fixture("create_tweet.json"), status=201)
    poll_x_account.delay("default")
    ticket = Message.objects.get(provider_id="1790000000000000102").ticket
    with django_capture_on_commit_callbacks(execute=True):
        actions.reply(ticket=ticket, author=agent, body="Hi Anna, sorry about the outage: it is fixed.", channel="x")
    needles = ["anna_dv", "1234567890", "1790000000000000102", "Third time this month", "Anna"]
    assert set(_found_anywhere(needles)) == set(needles)

    # When she is erased
    care_actions.erase_customer(customer=ticket.customer, actor=supervisor)

    # Then neither her handle, her X id, her tweet's id nor her words are left; Piet (another customer) is untouched
    assert _found_anywhere(needles) == []
    assert _found_anywhere(["piet_j", "no signal in Utrecht"]) == ["piet_j", "no signal in Utrecht"]
