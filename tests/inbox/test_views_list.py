"""The inbox list page: sign-in, who sees what, filters, keyset pages, query count."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inbox.models import Channel, Ticket
from inbox.views import PAGE_SIZE
from tests.factories import QueueFactory, TicketFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/inbox/"


def row_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr class="ticket-row" data-ticket="(\d+)"', response.content.decode())]


def older_query(response) -> str:
    match = re.search(r'class="older" href="\?([^"]+)"', response.content.decode())
    return html.unescape(match.group(1)) if match else ""


# --- sign-in and access --------------------------------------------------------------


def test_urls_are_where_the_rest_of_the_app_expects_them():
    assert reverse("inbox:list") == LIST_URL
    assert reverse("inbox:ticket", args=[7]) == "/inbox/t/7/"


def test_anonymous_user_is_sent_to_sign_in(client):
    response = client.get(LIST_URL)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={LIST_URL}"


def test_sign_in_page_renders_and_signing_in_lands_in_the_inbox(client, agent):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b'name="username"' in page.content and b'name="password"' in page.content

    response = client.post(reverse("login"), {"username": "sam", "password": "pw-for-tests-1"})

    assert response.status_code == 302
    assert response["Location"] == LIST_URL


def test_wrong_password_shows_an_error_on_the_sign_in_page(client, agent):
    response = client.post(reverse("login"), {"username": "sam", "password": "nope"})

    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_signed_in_user_outside_every_queue_gets_a_clear_403(client):
    client.force_login(UserFactory(username="visitor"))

    response = client.get(LIST_URL)

    assert response.status_code == 403
    assert b"have access to the inbox" in response.content
    assert b"not a member of any queue" in response.content


# --- who sees what -------------------------------------------------------------------


def test_agent_sees_only_the_tickets_of_own_queues(client, agent, queue, other_queue):
    mine = TicketFactory(queue=queue, subject="Router keeps dropping")
    theirs = TicketFactory(queue=other_queue, subject="Refund my overage")
    client.force_login(agent)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    assert row_ids(response) == [mine.pk]
    assert b"Router keeps dropping" in response.content
    assert b"Refund my overage" not in response.content
    assert theirs.reference.encode() not in response.content


def test_supervisor_sees_every_queue(client, supervisor, queue, other_queue):
    first = TicketFactory(queue=queue)
    second = TicketFactory(queue=other_queue)
    client.force_login(supervisor)

    response = client.get(LIST_URL)

    assert set(row_ids(response)) == {first.pk, second.pk}


def test_row_shows_reference_subject_customer_channel_status_and_assignee(client, agent, queue):
    ticket = TicketFactory(
        queue=queue, subject="No signal at home", customer__name="Anna de Vries",
        origin_channel=Channel.SMS, status=Ticket.Status.OPEN, assignee=agent,
    )
    client.force_login(agent)

    content = client.get(LIST_URL).content.decode()

    row = re.search(rf'<tr class="ticket-row" data-ticket="{ticket.pk}".*?</tr>', content, re.S).group(0)
    assert ticket.reference in row
    assert "No signal at home" in row
    assert "Anna de Vries" in row
    assert "SMS" in row
    assert 'class="badge open"' in row
    assert "Sam Visser" in row
    assert f'href="/inbox/t/{ticket.pk}/"' in row


def test_counters_count_the_visible_tickets_per_status(client, agent, queue, other_queue):
    for status in ["new", "new", "open", "pending", "solved"]:
        TicketFactory(queue=queue, status=status)
    TicketFactory(queue=other_queue, status="new")  # not visible: not counted
    client.force_login(agent)

    response = client.get(LIST_URL)

    counts = {counter.status: counter.count for counter in response.context["counts"]}
    # Work still to do is counted; solved/closed/all grow with history and are plain links.
    assert counts == {"active": 4, "new": 2, "open": 1, "pending": 1, "solved": None, "closed": None, "all": None}


# --- filters -------------------------------------------------------------------------


@pytest.fixture
def mixed(queue, agent):
    colleague = UserFactory(username="kim", queues=[queue])
    return {
        "new_web": TicketFactory(queue=queue, status="new", origin_channel=Channel.WEB),
        "open_sms_mine": TicketFactory(queue=queue, status="open", origin_channel=Channel.SMS, assignee=agent),
        "pending_x_kim": TicketFactory(queue=queue, status="pending", origin_channel=Channel.X, assignee=colleague),
        "solved_phone": TicketFactory(queue=queue, status="solved", origin_channel=Channel.PHONE),
        "closed_web": TicketFactory(queue=queue, status="closed", origin_channel=Channel.WEB),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"new_web", "open_sms_mine", "pending_x_kim"}),
        ("?status=active", {"new_web", "open_sms_mine", "pending_x_kim"}),
        ("?status=solved", {"solved_phone"}),
        ("?status=closed", {"closed_web"}),
        ("?status=all", {"new_web", "open_sms_mine", "pending_x_kim", "solved_phone", "closed_web"}),
        ("?status=all&channel=web", {"new_web", "closed_web"}),
        ("?channel=sms", {"open_sms_mine"}),
        ("?assignee=me", {"open_sms_mine"}),
        ("?assignee=none", {"new_web"}),
        ("?status=all&assignee=none", {"new_web", "solved_phone", "closed_web"}),
    ],
)
def test_filters(client, agent, mixed, query, expected):
    client.force_login(agent)

    response = client.get(LIST_URL + query)

    assert response.status_code == 200
    assert set(row_ids(response)) == {mixed[name].pk for name in expected}


def test_queue_filter_narrows_to_that_queue(client, agent, queue):
    support = QueueFactory(name="Support", slug="support")
    support.members.add(agent)
    in_general = TicketFactory(queue=queue)
    in_support = TicketFactory(queue=support)
    client.force_login(agent)

    assert row_ids(client.get(f"{LIST_URL}?queue={support.pk}")) == [in_support.pk]
    assert row_ids(client.get(f"{LIST_URL}?queue={queue.pk}")) == [in_general.pk]


def test_queue_filter_offers_only_queues_the_user_may_see(client, agent, other_queue):
    client.force_login(agent)

    response = client.get(LIST_URL)

    assert b"General" in response.content
    assert f'value="{other_queue.pk}"'.encode() not in response.content


def test_filtering_on_a_queue_the_user_cannot_see_is_a_400_with_a_message(client, agent, other_queue):
    TicketFactory(queue=other_queue)
    client.force_login(agent)

    response = client.get(f"{LIST_URL}?queue={other_queue.pk}")

    assert response.status_code == 400
    assert b"That queue is not one you can see." in response.content
    assert row_ids(response) == []


def test_unknown_status_filter_is_a_400(client, agent):
    client.force_login(agent)

    response = client.get(f"{LIST_URL}?status=exploded")

    assert response.status_code == 400
    assert b"Select a valid choice" in response.content


def test_htmx_filter_request_gets_only_the_results_partial(client, agent, mixed):
    client.force_login(agent)

    response = client.get(f"{LIST_URL}?status=solved", headers={"HX-Request": "true", "HX-Target": "ticket-results"})

    assert response.status_code == 200
    assert b"<html" not in response.content
    assert row_ids(response) == [mixed["solved_phone"].pk]


# --- keyset pages --------------------------------------------------------------------


def test_second_page_via_cursor_continues_without_overlap_and_keeps_filters(client, agent, queue):
    now = timezone.now()
    # Half the tickets share one updated_at: the id breaks the tie, so none is
    # skipped or repeated across the page boundary.
    same_time = [TicketFactory(queue=queue, status="open", updated_at=now) for _ in range(30)]
    spread = [TicketFactory(queue=queue, status="open", updated_at=now - timedelta(minutes=i + 1)) for i in range(30)]
    TicketFactory(queue=queue, status="new", updated_at=now)  # filtered out by status=open
    client.force_login(agent)

    first = client.get(f"{LIST_URL}?status=open")
    query = older_query(first)
    second = client.get(f"{LIST_URL}?{query}")

    assert "status=open" in query and "after=" in query
    first_ids, second_ids = row_ids(first), row_ids(second)
    assert len(first_ids) == PAGE_SIZE
    assert len(second_ids) == 60 - PAGE_SIZE
    assert not set(first_ids) & set(second_ids)
    assert first_ids + second_ids == [t.pk for t in sorted(same_time, key=lambda t: -t.pk)] + [t.pk for t in spread]
    assert older_query(second) == ""
    assert b"Newest" in second.content


def test_bad_cursor_is_a_400_page_with_a_message(client, agent, queue):
    TicketFactory(queue=queue)
    client.force_login(agent)

    response = client.get(f"{LIST_URL}?after=not-a-cursor")

    assert response.status_code == 400
    assert b"This page link is not valid; start from the first page." in response.content
    assert row_ids(response) == []


def _tickets_with_distinct_everything(queue, count):
    for _ in range(count):
        TicketFactory(queue=queue, assignee=UserFactory(queues=[queue]))


@pytest.mark.parametrize("count", [3, 30])
def test_list_needs_a_bounded_number_of_queries_whatever_the_number_of_rows(
    client, agent, queue, count, django_assert_max_num_queries
):
    _tickets_with_distinct_everything(queue, count)
    client.force_login(agent)

    # user with its roles (the session comes from the cache), the latest event
    # id, the page, the counters, the queue choices: the same for 3 rows as for 30.
    with django_assert_max_num_queries(5):
        response = client.get(LIST_URL)

    assert len(row_ids(response)) == count


def test_supervisor_list_needs_a_bounded_number_of_queries(client, supervisor, queue, django_assert_max_num_queries):
    _tickets_with_distinct_everything(queue, 30)
    client.force_login(supervisor)

    with django_assert_max_num_queries(5):
        response = client.get(f"{LIST_URL}?status=all")

    assert len(row_ids(response)) == 30


# --- the urgent band (care/: breached and about-to-breach tickets rise) --------------


def _urgent_ids(response) -> list[int]:
    """Ticket ids in the urgent band above the first page, in order."""
    content = response.content.decode()
    band = re.search(r'<tbody id="urgent-rows".*?</tbody>', content, re.S)
    return [int(pk) for pk in re.findall(r'<tr class="ticket-row sla-[a-z-]+" data-ticket="(\d+)"', band.group(0))] if band else []


def _late(ticket, minutes: int) -> None:
    """Run the real SLA check ``minutes`` after the ticket arrived (controlled clock)."""
    from care import sla

    sla.check_ticket(ticket.pk, now=ticket.created_at + timedelta(minutes=minutes))


def test_a_breached_ticket_from_page_two_is_shown_at_the_top_of_page_one_and_not_repeated(client, agent, queue):
    # Given 60 active tickets, the oldest (page 2 by time) past its first-answer target
    now = timezone.now()
    tickets = [TicketFactory(queue=queue, status="open", updated_at=now - timedelta(minutes=i)) for i in range(60)]
    oldest = tickets[-1]
    _late(oldest, 241)
    client.force_login(agent)

    # When the agent opens the inbox and pages on
    first = client.get(LIST_URL)
    second = client.get(f"{LIST_URL}?{older_query(first)}")

    # Then it heads page 1 in the urgent band, and no page repeats it
    assert _urgent_ids(first) == [oldest.pk]
    assert oldest.pk not in row_ids(first) + row_ids(second)
    assert row_ids(first) + row_ids(second) == [t.pk for t in tickets[:-1]]
    assert "Urgent: breached or about to breach" in first.content.decode()
    assert 'id="urgent-rows"' not in second.content.decode()


def _all_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-ticket="(\d+)"', response.content.decode())]


def test_the_band_shows_breached_first_then_the_longest_overdue(client, agent, queue):
    at_risk = TicketFactory(queue=queue, status="open")
    breached_later = TicketFactory(queue=queue, status="open")
    breached_earlier = TicketFactory(queue=queue, status="open")
    Ticket.objects.filter(pk=breached_earlier.pk).update(created_at=breached_earlier.created_at - timedelta(minutes=30))
    breached_earlier.refresh_from_db()
    _late(at_risk, 215)  # first answer due in 25 minutes
    _late(breached_later, 300)
    _late(breached_earlier, 330)
    client.force_login(agent)

    page = client.get(LIST_URL)

    assert _urgent_ids(page) == [breached_earlier.pk, breached_later.pk, at_risk.pk]
    assert "Show all urgent tickets" not in page.content.decode()


def test_a_full_band_links_to_every_urgent_ticket(client, agent, queue):
    from inbox.selectors import URGENT_BAND_SIZE

    late = [TicketFactory(queue=queue, status="open") for _ in range(URGENT_BAND_SIZE + 1)]
    for ticket in late:
        _late(ticket, 241)
    calm = TicketFactory(queue=queue, status="open")
    client.force_login(agent)

    page = client.get(LIST_URL)

    # One band's worth on top; the rest are not lost: the link lists them all (and only them)
    assert len(_urgent_ids(page)) == URGENT_BAND_SIZE and row_ids(page) == [calm.pk]
    all_query = re.search(r'<a href="\?([^"]+)">Show all urgent tickets</a>', page.content.decode()).group(1)
    everything = client.get(f"{LIST_URL}?{html.unescape(all_query)}")
    assert "urgency=urgent" in all_query
    assert sorted(_all_ids(everything)) == sorted(ticket.pk for ticket in late)


def test_views_of_solved_work_or_of_urgency_have_no_band(client, agent, queue):
    late = TicketFactory(queue=queue, status="open")
    _late(late, 241)
    client.force_login(agent)

    assert 'id="urgent-rows"' not in client.get(f"{LIST_URL}?status=solved").content.decode()
    breached = client.get(f"{LIST_URL}?urgency=breached").content.decode()
    assert 'id="urgent-rows"' not in breached and f'data-ticket="{late.pk}"' in breached
    assert f'data-ticket="{late.pk}"' not in client.get(f"{LIST_URL}?urgency=at_risk").content.decode()
    assert client.get(f"{LIST_URL}?urgency=soon").status_code == 400


def test_the_band_stays_within_the_list_query_budget(client, agent, queue, django_assert_max_num_queries):
    _tickets_with_distinct_everything(queue, 30)
    for ticket in Ticket.objects.all()[:5]:
        _late(ticket, 241)
    client.force_login(agent)

    with django_assert_max_num_queries(5):
        response = client.get(LIST_URL)

    assert len(_urgent_ids(response)) == 5 and len(row_ids(response)) == 25


def test_an_empty_inbox_stays_within_the_budget_too(client, agent, queue, django_assert_max_num_queries):
    client.force_login(agent)

    with django_assert_max_num_queries(5):
        response = client.get(LIST_URL)

    assert response.status_code == 200 and "No tickets match these filters." in response.content.decode()
