from __future__ import annotations

import pytest
from django.urls import reverse

from resolutions import actions
from resolutions.models import Resolution, ResolutionVersion, Topic, TopicConfirmation
from tests.factories import MessageFactory, TicketFactory


@pytest.fixture
def refund(playbook):
    return Resolution.objects.select_related("current_version").get(slug="refund-overage")


def test_agents_may_not_open_the_editor(client, agent, playbook):
    client.force_login(agent)
    assert client.get(reverse("resolutions:list")).status_code == 403


def test_list_and_preview_every_channel_and_language(client, supervisor, refund):
    client.force_login(supervisor)
    assert "Refund the data overage" in client.get(reverse("resolutions:list")).content.decode()
    page = client.get(reverse("resolutions:edit", args=[refund.pk])).content.decode()
    assert page.count("<pre>") == 16  # en, nl, da, nb x web, x, sms, phone
    assert "Hoi Annemarieke" in page and "Hej Annemarieke" in page and "Hei Annemarieke" in page


def test_editing_saves_a_new_version_with_a_note_and_flags_over_length(client, supervisor, refund):
    client.force_login(supervisor)
    old = refund.current_version
    form = {f"answer-{language}-{channel}": text for language, variants in old.answers.items() for channel, text in variants.items()}
    form["answer-en-sms"] = "Hi {first_name}, " + "refunded " * 40
    # Without a change note: a form error, nothing stored
    response = client.post(reverse("resolutions:edit", args=[refund.pk]), form)
    assert response.status_code == 400 and "change note" in response.content.decode()
    assert ResolutionVersion.objects.filter(resolution=refund).count() == 1
    response = client.post(reverse("resolutions:edit", args=[refund.pk]), {**form, "change_note": "Longer SMS"})
    assert response.status_code == 302
    refund.refresh_from_db()
    old.refresh_from_db()
    assert refund.current_version.number == 2 and refund.current_version.change_note == "Longer SMS"
    assert old.retired_at is not None
    page = client.get(reverse("resolutions:edit", args=[refund.pk])).content.decode()
    assert "Long for SMS" in page  # flagged, not cut
    assert "refunded " * 39 in page


def test_line_breaks_as_a_browser_sends_them_are_saved_as_plain_newlines(client, supervisor, refund):
    # A textarea's line breaks arrive as CRLF (what every browser submits): they are line breaks, not control characters
    client.force_login(supervisor)
    old = refund.current_version
    form = {f"answer-{language}-{channel}": text.replace("\n", "\r\n") for language, variants in old.answers.items() for channel, text in variants.items()}
    form["answer-en-default"] = "Hi {first_name},\r\n\r\nThe overage is refunded.\r\n\r\nBest,\r\n{agent_name}"
    response = client.post(reverse("resolutions:edit", args=[refund.pk]), {**form, "change_note": "Shorter"})
    assert response.status_code == 302, response.content.decode()
    refund.refresh_from_db()
    assert refund.current_version.answers["en"]["default"] == "Hi {first_name},\n\nThe overage is refunded.\n\nBest,\n{agent_name}"
    assert "\r" not in str(refund.current_version.answers)


def test_retire(client, supervisor, refund):
    client.force_login(supervisor)
    client.post(reverse("resolutions:retire", args=[refund.pk]))
    refund.refresh_from_db()
    assert refund.retired_at is not None and refund.current_version is None


def test_a_confirmed_topic_becomes_an_example_only_after_approval(client, supervisor, agent, playbook, queue):
    ticket = TicketFactory(queue=queue)
    MessageFactory(ticket=ticket, body="Jeg har betalt to gange for det samme", language="da")
    topic = Topic.objects.get(slug="double-charge")
    confirmation = actions.topic_confirm(ticket=ticket, topic=topic, by=agent)
    topic.refresh_from_db()
    danish = list(topic.examples["da"])
    assert "Jeg har betalt to gange for det samme" not in danish  # not yet
    client.force_login(supervisor)
    client.post(reverse("resolutions:review", args=[confirmation.pk]), {"decision": "approve"})
    topic.refresh_from_db()
    assert topic.examples["da"] == [*danish, "Jeg har betalt to gange for det samme"]
    assert TopicConfirmation.objects.get().review == "approved"


def test_versions_are_read_only_in_the_admin(admin_client, refund):
    url = reverse("admin:resolutions_resolutionversion_change", args=[refund.current_version.pk])
    response = admin_client.post(url, {"change_note": "hacked"})
    refund.current_version.refresh_from_db()
    assert refund.current_version.change_note != "hacked"
    assert response.status_code in (200, 403)
