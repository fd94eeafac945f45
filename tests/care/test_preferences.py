"""Tier, opt-out and follow-up consent: set on the supervisor's privacy page,
through the API, or by an agent who heard consent on the phone; every change
through care.actions.update_preferences and in the privacy audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from care import actions as care_actions
from care.links import unsubscribe_path
from care.models import CustomerCare, PrivacyAudit, TicketSla, Tier
from inbox.models import Customer
from tests.care.conftest import sms_ticket, web_ticket

pytestmark = pytest.mark.django_db


def _care(customer) -> CustomerCare | None:
    return CustomerCare.objects.filter(customer=customer).first()


def _trail(customer) -> list[tuple]:
    return [
        (audit.action, audit.via, audit.actor_id, audit.change)
        for audit in PrivacyAudit.objects.filter(customer_id=customer.pk).order_by("id")
    ]


# --- the supervisor's privacy page --------------------------------------------------------


def test_supervisor_sets_vip_and_opts_out_on_the_privacy_page_audited(client, supervisor, queue):
    ticket = web_ticket(queue)
    customer = ticket.customer
    client.force_login(supervisor)
    url = f"/supervisor/care/customers/{customer.pk}/"
    page = client.get(url).content.decode()
    assert 'id="preferences-form"' in page and 'name="tier"' in page and 'name="opted_out"' in page

    response = client.post(url + "preferences/", {"tier": "vip", "opted_out": "on"})

    assert response.status_code == 302
    care = _care(customer)
    assert care.tier == Tier.VIP and care.opted_out_at is not None
    assert _trail(customer) == [
        ("opt_out", "ui", supervisor.pk, {}),
        ("tier", "ui", supervisor.pk, {"from": "standard", "to": "vip"}),
    ]
    page = client.get(url).content.decode()
    assert "standard → vip" in page and "Opted out" in page and "VIP customer" in page
    # Saving the same again changes and records nothing
    client.post(url + "preferences/", {"tier": "vip", "opted_out": "on"})
    assert PrivacyAudit.objects.count() == 2


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"tier": "platinum"}, "Select a valid choice"),
        ({"tier": "standard", "opted_out": "on", "consent_follow_up": "on"}, "cannot agree to follow-ups at the same time"),
    ],
)
def test_bad_preferences_are_a_400_with_a_message_and_change_nothing(client, supervisor, queue, posted, message):
    customer = web_ticket(queue).customer
    client.force_login(supervisor)

    response = client.post(f"/supervisor/care/customers/{customer.pk}/preferences/", posted)

    assert response.status_code == 400 and message in response.content.decode()
    assert _care(customer) is None and not PrivacyAudit.objects.exists()
    customer.refresh_from_db()
    assert not customer.consent_follow_up


def test_agents_may_not_use_the_privacy_page(client, agent, queue):
    customer = web_ticket(queue).customer
    client.force_login(agent)

    assert client.post(f"/supervisor/care/customers/{customer.pk}/preferences/", {"tier": "vip"}).status_code == 403
    assert _care(customer) is None


def test_a_new_tier_rechecks_the_customers_open_tickets_after_commit(queue, supervisor, django_capture_on_commit_callbacks):
    ticket = web_ticket(queue)
    with django_capture_on_commit_callbacks(execute=True):
        care_actions.update_preferences(
            customer=ticket.customer, change=care_actions.PreferenceChange(tier=Tier.VIP), actor=supervisor, via="ui"
        )
    # VIP: half the normal first-answer target (240 -> 120 business minutes), without waiting for the periodic check
    assert TicketSla.objects.get(ticket=ticket).first_response_due == ticket.created_at + timedelta(minutes=120)


def test_the_unsubscribe_link_is_in_the_trail_as_the_customers_own(client, queue):
    customer = web_ticket(queue).customer
    client.post(unsubscribe_path(customer.pk))
    assert _trail(customer) == [("opt_out", "link", None, {})]


# --- an agent records consent heard on the phone --------------------------------------------


def test_agent_records_consent_given_on_the_phone_for_an_sms_customer(client, agent, queue):
    # Given an SMS customer who unsubscribed once, then says on the phone they'd like a follow-up
    ticket = sms_ticket(queue)
    care_actions.opt_out(customer=ticket.customer)
    client.force_login(agent)
    page = client.get(f"/inbox/t/{ticket.pk}/").content.decode()
    assert 'id="phone-consent-form"' in page

    # A click without ticking the box records nothing
    client.post(f"/inbox/t/{ticket.pk}/consent/")
    assert not Customer.objects.get(pk=ticket.customer_id).consent_follow_up

    response = client.post(f"/inbox/t/{ticket.pk}/consent/", {"consent_follow_up": "yes"})

    # Then consent is recorded, lifting the old opt-out (their newer word), both in the trail
    assert response.status_code == 302
    customer = Customer.objects.get(pk=ticket.customer_id)
    assert customer.consent_follow_up and _care(customer).opted_out_at is None
    assert care_actions.may_send(customer, "follow_up")
    assert _trail(customer)[1:] == [
        ("opt_in", "ui", agent.pk, {}),
        ("consent", "ui", agent.pk, {"consent_follow_up": True, "source": "phone"}),
    ]
    page = client.get(f"/inbox/t/{ticket.pk}/").content.decode()
    assert 'id="phone-consent-form"' not in page and "Agreed to a follow-up message." in page


def test_web_customers_tick_consent_themselves_and_other_queues_are_not_found(client, agent, outsider, queue):
    web = web_ticket(queue)
    client.force_login(agent)
    assert 'id="phone-consent-form"' not in client.get(f"/inbox/t/{web.pk}/").content.decode()

    client.force_login(outsider)
    assert client.post(f"/inbox/t/{web.pk}/consent/", {"consent_follow_up": "yes"}).status_code == 404
    assert not PrivacyAudit.objects.exists()


# --- the API ------------------------------------------------------------------------------------


def _api(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def test_api_reads_and_changes_preferences_audited(supervisor, queue):
    customer = web_ticket(queue).customer
    api = _api(supervisor)
    url = f"/api/care/customers/{customer.pk}/preferences/"

    assert api.get(url).json() == {
        "customer": customer.pk, "tier": "standard", "opted_out": False, "opted_out_at": None, "consent_follow_up": False,
    }
    changed = api.patch(url, {"tier": "vip", "consent_follow_up": True, "consent_source": "phone"}, format="json")

    assert changed.status_code == 200
    assert changed.json()["tier"] == "vip" and changed.json()["consent_follow_up"] is True
    assert _trail(customer) == [
        ("consent", "api", supervisor.pk, {"consent_follow_up": True, "source": "phone"}),
        ("tier", "api", supervisor.pk, {"from": "standard", "to": "vip"}),
    ]
    opted_out = api.patch(url, {"opted_out": True}, format="json").json()
    # Opting out withdraws consent
    assert opted_out["opted_out"] is True and opted_out["consent_follow_up"] is False and opted_out["opted_out_at"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Send at least one of tier, opted_out, consent_follow_up."),
        ({"tier": "gold"}, '"gold" is not a tier'),
        ({"opted_out": "perhaps"}, "opted_out"),
        ({"opted_out": True, "consent_follow_up": True}, "cannot agree to follow-ups at the same time"),
    ],
)
def test_api_bad_input_is_a_400_with_a_message(supervisor, queue, body, message):
    customer = web_ticket(queue).customer

    response = _api(supervisor).patch(f"/api/care/customers/{customer.pk}/preferences/", body, format="json")

    assert response.status_code == 400 and message in response.json()["detail"]
    assert not PrivacyAudit.objects.exists()


def test_api_agents_record_consent_for_their_queues_customers_only(agent, outsider, queue):
    customer = web_ticket(queue).customer
    url = f"/api/care/customers/{customer.pk}/preferences/"

    tier = _api(agent).patch(url, {"tier": "vip"}, format="json")
    consent = _api(agent).patch(url, {"consent_follow_up": True}, format="json")
    foreign = _api(outsider).patch(url, {"consent_follow_up": True}, format="json")

    assert tier.status_code == 403 and "Only supervisors" in tier.json()["detail"]
    assert consent.status_code == 200 and consent.json()["consent_follow_up"] is True
    assert foreign.status_code == 404 and _api(outsider).get(url).status_code == 404
    assert [row[0] for row in _trail(customer)] == ["consent"]
    assert APIClient().get(url).status_code in (401, 403)


def test_schema_documents_the_preferences_endpoint(supervisor):
    schema = _api(supervisor).get("/api/schema/").content.decode()
    assert "/api/care/customers/{id}/preferences/:" in schema and "CustomerPreferences" in schema
