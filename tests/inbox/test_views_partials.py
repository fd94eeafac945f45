"""The partials the live client fetches (rows, one message, header + controls)
and the reply endpoint's JSON answers (201 / 409 / 400)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from channels_app.base import Sender
from inbox import actions
from inbox.models import Channel, Event, Identity, Message, Ticket
from tests.factories import CustomerFactory, IdentityFactory, MessageFactory, TicketFactory, UserFactory, inbound

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def ticket(queue):
    customer = CustomerFactory(name="Anna de Vries")
    IdentityFactory(customer=customer, kind=Identity.Kind.EMAIL, value="anna@example.org")
    ticket = TicketFactory(queue=queue, customer=customer, subject="Data charges", origin_channel=Channel.WEB)
    MessageFactory(ticket=ticket, channel=Channel.WEB, body="My bill shows data charges I did not make.")
    return ticket


@pytest.fixture
def foreign_ticket(other_queue):
    ticket = TicketFactory(queue=other_queue, subject="Secret billing matter")
    MessageFactory(ticket=ticket, body="Private words")
    return ticket


def rows(client, ids, **params):
    return client.get(reverse("inbox:rows"), {"ids": ",".join(str(pk) for pk in ids), **params})


def row_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr class="ticket-row" data-ticket="(\d+)"', html)]


# --- the pages carry what live.js needs ----------------------------------------------


def test_list_page_has_the_live_client_indicator_help_and_the_event_cursor(client, agent, ticket):
    latest = Event.objects.create(type=Event.Type.TICKET_UPDATED, ticket=ticket, queue_id=ticket.queue_id, payload={})
    client.force_login(agent)

    content = client.get(reverse("inbox:list")).content.decode()

    assert 'id="live-status" class="live-status" data-state="reconnecting"' in content
    assert 'data-page="list"' in content
    assert f'data-last-event="{latest.pk}"' in content
    assert f'data-user="{agent.pk}"' in content
    assert 'id="shortcuts-help"' in content
    assert "unisono/live.js" in content
    assert re.search(rf'<tr class="ticket-row" data-ticket="{ticket.pk}" id="ticket-row-{ticket.pk}" data-updated="\d{{16}}"', content)


def test_ticket_page_has_presence_banners_and_a_labelled_solve_shortcut(client, agent, ticket):
    client.force_login(agent)

    content = client.get(reverse("inbox:ticket", args=[ticket.pk])).content.decode()

    assert 'data-page="ticket"' in content
    assert f'data-ticket="{ticket.pk}"' in content
    assert f'data-ticket-url="{reverse("inbox:ticket", args=[ticket.pk])}"' in content
    assert 'id="presence"' in content and 'id="live-banners"' in content
    assert 'id="solve-form"' in content and "Mark solved" in content
    assert "Close: mark solved" in content  # the `c` shortcut says what it does
    assert 'id="assign-me-form"' in content


def test_solved_ticket_offers_no_solve_button(client, agent, ticket):
    ticket.status = Ticket.Status.SOLVED
    ticket.save(update_fields=["status"])
    client.force_login(agent)

    content = client.get(reverse("inbox:ticket", args=[ticket.pk])).content.decode()

    assert 'id="solve-form"' not in content


# --- rows ------------------------------------------------------------------------------


def test_rows_renders_matching_tickets_and_fresh_counters(client, agent, ticket, queue):
    second = TicketFactory(queue=queue, subject="Second one", status=Ticket.Status.OPEN)
    client.force_login(agent)

    response = rows(client, [ticket.pk, second.pk])

    assert response.status_code == 200
    answer = response.json()
    assert [entry["ticket"] for entry in answer["rows"]] == sorted([ticket.pk, second.pk], reverse=True)
    assert answer["gone"] == []
    first_row = next(entry["html"] for entry in answer["rows"] if entry["ticket"] == ticket.pk)
    assert row_ids(first_row) == [ticket.pk]
    assert "Data charges" in first_row and "Anna de Vries" in first_row
    assert '<li data-status="active">' in answer["counts"]
    assert re.search(r'data-status="active">.*?<span class="count">2</span>', answer["counts"], re.S)


def test_rows_says_gone_for_a_ticket_that_no_longer_matches_the_filter(client, agent, ticket):
    actions.set_status(ticket=ticket, status=Ticket.Status.SOLVED, by=agent)
    client.force_login(agent)

    active = rows(client, [ticket.pk]).json()  # default filter: active
    solved = rows(client, [ticket.pk], status="solved").json()

    assert active["rows"] == [] and active["gone"] == [ticket.pk]
    assert [entry["ticket"] for entry in solved["rows"]] == [ticket.pk] and solved["gone"] == []


@pytest.mark.parametrize(
    "params, matches",
    [
        ({"channel": "web"}, True),
        ({"channel": "sms"}, False),
        ({"assignee": "me"}, True),
        ({"assignee": "none"}, False),
    ],
)
def test_rows_applies_every_filter_of_the_page(client, agent, ticket, params, matches):
    actions.assign(ticket=ticket, assignee=agent, by=agent)
    client.force_login(agent)

    answer = rows(client, [ticket.pk], **params).json()

    assert (answer["gone"] == []) is matches
    assert bool(answer["rows"]) is matches


def test_rows_on_a_later_page_drops_a_ticket_that_moved_to_the_first(client, agent, ticket, queue):
    from inbox.selectors import encode_cursor

    older = TicketFactory(queue=queue, subject="Older")
    Ticket.objects.filter(pk=older.pk).update(updated_at=ticket.updated_at.replace(year=2020))
    older.refresh_from_db()
    cursor = encode_cursor(ticket)  # page 2 starts after `ticket`
    client.force_login(agent)

    answer = rows(client, [ticket.pk, older.pk], after=cursor).json()

    assert [entry["ticket"] for entry in answer["rows"]] == [older.pk]
    assert answer["gone"] == [ticket.pk]


def test_rows_puts_a_ticket_that_turned_urgent_in_the_band_of_the_first_page_only(client, agent, ticket, queue):
    from care import sla
    from inbox.selectors import encode_cursor

    newest = TicketFactory(queue=queue, subject="Newest")
    # The ticket passes its first-answer target (the real check, controlled clock)
    sla.check_ticket(ticket.pk, now=ticket.created_at + timedelta(minutes=241))
    client.force_login(agent)

    first_page = rows(client, [ticket.pk, newest.pk]).json()
    later_page = rows(client, [ticket.pk], after=encode_cursor(newest)).json()
    by_urgency = rows(client, [ticket.pk], urgency="breached").json()

    assert [(entry["ticket"], entry["band"]) for entry in first_page["rows"]] == [(ticket.pk, True), (newest.pk, False)]
    assert "sla-breached" in first_page["rows"][0]["html"]
    # On a later page it is gone (it lives in page one's band), and a view of urgency has no band
    assert later_page["rows"] == [] and later_page["gone"] == [ticket.pk]
    assert [(entry["ticket"], entry["band"]) for entry in by_urgency["rows"]] == [(ticket.pk, False)]


def test_rows_of_another_queue_are_gone_like_any_non_matching_ticket(client, agent, foreign_ticket):
    client.force_login(agent)

    response = rows(client, [foreign_ticket.pk])

    assert response.status_code == 200
    assert response.json()["rows"] == [] and response.json()["gone"] == [foreign_ticket.pk]
    assert "Secret billing matter" not in response.content.decode()


def test_rows_escape_customer_text(client, agent, queue):
    hostile = TicketFactory(queue=queue, subject=HOSTILE, customer=CustomerFactory(name=HOSTILE))
    client.force_login(agent)

    html = rows(client, [hostile.pk]).json()["rows"][0]["html"]

    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


@pytest.mark.parametrize("ids", ["", "abc", "1,,x", "-1", ",".join(str(n) for n in range(1, 52)), "9" * 30])
def test_rows_with_bad_ids_is_a_400_with_a_message(client, agent, ids):
    client.force_login(agent)

    response = client.get(reverse("inbox:rows"), {"ids": ids})

    assert response.status_code == 400
    assert "ids must be 1 to 50 ticket ids" in response.json()["error"]


def test_rows_with_a_bad_filter_or_cursor_is_a_400(client, agent, ticket, other_queue):
    client.force_login(agent)

    bad_queue = rows(client, [ticket.pk], queue=other_queue.pk)
    bad_cursor = rows(client, [ticket.pk], after="not-a-cursor")

    assert bad_queue.status_code == 400 and "filters are not valid" in bad_queue.json()["error"]
    assert bad_cursor.status_code == 400 and "not valid" in bad_cursor.json()["error"]


def test_rows_needs_a_bounded_number_of_queries(client, agent, queue, django_assert_max_num_queries):
    tickets = [TicketFactory(queue=queue) for _ in range(20)]
    client.force_login(agent)

    with django_assert_max_num_queries(12):
        answer = rows(client, [ticket.pk for ticket in tickets]).json()

    assert len(answer["rows"]) == 20


def test_partials_refuse_anonymous_and_non_staff_users(client, ticket):
    message = ticket.messages.first()
    urls = [
        f"{reverse('inbox:rows')}?ids={ticket.pk}",
        reverse("inbox:message", args=[ticket.pk, message.pk]),
        reverse("inbox:parts", args=[ticket.pk]),
    ]

    anonymous = [client.get(url) for url in urls]
    client.force_login(UserFactory(username="visitor"))
    non_staff = [client.get(url) for url in urls]

    assert [response.status_code for response in anonymous] == [302, 302, 302]
    assert all("/accounts/login/" in response["Location"] for response in anonymous)
    assert [response.status_code for response in non_staff] == [403, 403, 403]


# --- one message -----------------------------------------------------------------------


def test_message_partial_renders_one_message_escaped(client, agent, ticket):
    message = MessageFactory(ticket=ticket, body=HOSTILE)
    client.force_login(agent)

    response = client.get(reverse("inbox:message", args=[ticket.pk, message.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert content.strip().startswith(f'<li class="message in" id="message-{message.pk}"')
    assert "<script>" not in content and "<img" not in content
    assert "&lt;img src=x onerror=alert(1)&gt;" in content
    assert "New" not in content


def test_message_partial_marks_a_live_arrival_as_new(client, agent, ticket):
    message = MessageFactory(ticket=ticket, body="Still broken")
    client.force_login(agent)

    content = client.get(reverse("inbox:message", args=[ticket.pk, message.pk]), {"new": "1"}).content.decode()

    assert f'<li class="message in newer" id="message-{message.pk}"' in content
    assert '<span class="badge new-arrival">New</span>' in content


def test_message_partial_shows_the_delivery_status_and_retry_of_a_failed_reply(client, agent, ticket):
    failed = MessageFactory(ticket=ticket, direction="out", author=agent, status="failed", status_detail="<bad number>")
    client.force_login(agent)

    content = client.get(reverse("inbox:message", args=[ticket.pk, failed.pk])).content.decode()

    assert 'class="badge delivery failed"' in content
    assert "Not delivered: &lt;bad number&gt;" in content
    assert reverse("inbox:retry", args=[ticket.pk, failed.pk]) in content


def test_message_of_another_queue_or_another_ticket_is_404(client, agent, ticket, foreign_ticket, queue):
    foreign_message = foreign_ticket.messages.first()
    elsewhere = MessageFactory(ticket=TicketFactory(queue=queue))
    client.force_login(agent)

    foreign = client.get(reverse("inbox:message", args=[foreign_ticket.pk, foreign_message.pk]))
    mismatched = client.get(reverse("inbox:message", args=[ticket.pk, elsewhere.pk]))
    smuggled = client.get(reverse("inbox:message", args=[ticket.pk, foreign_message.pk]))

    assert [foreign.status_code, mismatched.status_code, smuggled.status_code] == [404, 404, 404]
    assert b"Private words" not in foreign.content + smuggled.content


# --- header and controls -----------------------------------------------------------------


def test_parts_renders_the_current_header_and_controls(client, agent, ticket):
    actions.assign(ticket=ticket, assignee=agent, by=agent)
    actions.set_status(ticket=ticket, status=Ticket.Status.PENDING, by=agent)
    client.force_login(agent)

    answer = client.get(reverse("inbox:parts", args=[ticket.pk])).json()

    assert answer["status"] == "pending"
    assert 'class="badge pending">Pending</span>' in answer["header"]
    assert "Sam Visser" in answer["header"]
    assert 'id="ticket-controls"' in answer["controls"]
    assert "Assign to me" not in answer["controls"]  # it is already theirs
    assert 'id="solve-form"' in answer["controls"]
    assert 'name="csrfmiddlewaretoken"' in answer["controls"]


def test_parts_escape_the_subject(client, agent, queue):
    hostile = TicketFactory(queue=queue, subject=HOSTILE)
    client.force_login(agent)

    header = client.get(reverse("inbox:parts", args=[hostile.pk])).json()["header"]

    assert "<script>" not in header and "&lt;script&gt;" in header


def test_parts_of_a_ticket_in_another_queue_is_404(client, agent, foreign_ticket):
    client.force_login(agent)

    response = client.get(reverse("inbox:parts", args=[foreign_ticket.pk]))

    assert response.status_code == 404
    assert b"Secret billing matter" not in response.content


def test_supervisor_gets_parts_of_any_queue(client, supervisor, foreign_ticket):
    client.force_login(supervisor)

    assert client.get(reverse("inbox:parts", args=[foreign_ticket.pk])).status_code == 200


# --- the reply through fetch ------------------------------------------------------------


def test_json_reply_is_stored_and_answered_with_the_rendered_message(client, agent, ticket):
    seen = ticket.messages.last().pk
    client.force_login(agent)

    response = client.post(
        reverse("inbox:reply", args=[ticket.pk]),
        {"body": "Hi Anna, <b>refunded</b>.", "channel": "web", "last_seen_message_id": seen},
        **JSON,
    )

    assert response.status_code == 201
    answer = response.json()
    reply = Message.objects.get(pk=answer["message"])
    # (Delivery runs on commit, which the test's transaction never reaches.)
    assert (reply.direction, reply.status, reply.author_id) == ("out", "queued", agent.pk)
    assert f'id="message-{reply.pk}"' in answer["html"]
    assert "Hi Anna, &lt;b&gt;refunded&lt;/b&gt;." in answer["html"]
    assert answer["notice"] == "Reply queued for sending by Web."


def test_json_stale_reply_is_a_409_with_the_unseen_messages_and_nothing_stored(client, agent, ticket, queue):
    seen = ticket.messages.last().pk
    colleague = UserFactory(username="noor-colleague", first_name="Noor", queues=[queue])
    theirs = actions.reply(ticket=ticket, author=colleague, body="I already refunded you, Anna.")
    note = actions.add_note(ticket=ticket, author=colleague, body="Refund done <via billing>")
    customer = actions.receive(
        inbound(
            channel="web", body="Thanks!", ticket_reference=ticket.reference,
            senders=(Sender(kind="email", value="anna@example.org"),),
        )
    ).message
    outbound_before = Message.objects.filter(direction="out").count()
    client.force_login(agent)

    response = client.post(
        reverse("inbox:reply", args=[ticket.pk]),
        {"body": "Hi Anna, I will refund you.", "channel": "web", "last_seen_message_id": seen},
        **JSON,
    )

    assert response.status_code == 409
    answer = response.json()
    assert answer["error"] == "New messages arrived while you were writing — read them, then send"
    assert [entry["message"] for entry in answer["messages"]] == [theirs.pk, note.pk, customer.pk]
    by_id = {entry["message"]: entry["html"] for entry in answer["messages"]}
    assert f'<li class="message out newer" id="message-{theirs.pk}"' in by_id[theirs.pk]
    assert f'<li class="message in newer" id="message-{customer.pk}"' in by_id[customer.pk]
    # A note never makes a reply stale, so it is shown but not flagged.
    assert f'<li class="message note" id="message-{note.pk}"' in by_id[note.pk]
    assert "Refund done &lt;via billing&gt;" in by_id[note.pk]
    assert answer["last_seen_message_id"] == customer.pk
    assert Message.objects.filter(direction="out").count() == outbound_before

    # Then sending again with the id the 409 gave goes through.
    again = client.post(
        reverse("inbox:reply", args=[ticket.pk]),
        {"body": "Hi Anna, I will refund you.", "channel": "web", "last_seen_message_id": answer["last_seen_message_id"]},
        **JSON,
    )
    assert again.status_code == 201


def test_json_reply_with_bad_input_is_a_400_with_a_message_and_nothing_stored(client, agent, ticket):
    before = Message.objects.count()
    client.force_login(agent)

    empty = client.post(reverse("inbox:reply", args=[ticket.pk]), {"body": "  ", "channel": "web"}, **JSON)
    bad_channel = client.post(reverse("inbox:reply", args=[ticket.pk]), {"body": "Hi", "channel": "pigeon"}, **JSON)

    assert empty.status_code == 400 and empty.json()["error"] == "Write a reply before sending."
    assert bad_channel.status_code == 400 and "Select a valid choice" in bad_channel.json()["error"]
    assert "channel" in bad_channel.json()["errors"]
    assert Message.objects.count() == before


def test_json_reply_to_a_ticket_of_another_queue_is_404_and_stores_nothing(client, agent, foreign_ticket):
    before = Message.objects.count()
    client.force_login(agent)

    response = client.post(reverse("inbox:reply", args=[foreign_ticket.pk]), {"body": "Hi", "channel": "web"}, **JSON)

    assert response.status_code == 404
    assert Message.objects.count() == before


def test_a_browser_form_post_still_gets_the_page_flow(client, agent, ticket):
    client.force_login(agent)

    response = client.post(
        reverse("inbox:reply", args=[ticket.pk]),
        {"body": "Plain form", "channel": "web"},
        HTTP_ACCEPT="text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    )

    assert response.status_code == 302


def test_rows_keep_the_band_to_the_most_urgent_tickets_a_reload_shows(client, agent, queue):
    from care import sla
    from inbox.selectors import URGENT_BAND_SIZE

    # More urgent tickets than the band holds; the latest to breach is the least urgent of them
    late = [TicketFactory(queue=queue, status="open") for _ in range(URGENT_BAND_SIZE + 1)]
    for minutes, ticket in enumerate(late):
        sla.check_ticket(ticket.pk, now=ticket.created_at + timedelta(minutes=300 - minutes))
    client.force_login(agent)
    band_on_reload = [int(pk) for pk in re.findall(
        r'data-ticket="(\d+)"', re.search(r'<tbody id="urgent-rows".*?</tbody>', client.get(reverse("inbox:list")).content.decode(), re.S).group(0))]
    outside = next(ticket.pk for ticket in late if ticket.pk not in band_on_reload)

    # A live refresh of that ticket and one in the band: the band stays what a reload shows
    answer = rows(client, [outside, band_on_reload[0]]).json()

    assert [(entry["ticket"], entry["band"]) for entry in answer["rows"]] == [(band_on_reload[0], True)]
    assert answer["gone"] == [outside]
