from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from resolutions import actions, suggest
from resolutions.models import Resolution, Topic
from tests.factories import UserFactory


@pytest.fixture
def api(agent):
    client = APIClient()
    client.force_authenticate(agent)
    return client


def test_suggest_ranks_the_right_resolution(playbook, api):
    response = api.post("/api/playbook/suggest/", {"text": "Mijn factuur heeft enorme kosten voor mobiel internet"}, format="json")
    assert response.status_code == 200
    ranked = response.json()
    assert ranked[0]["topic"] == "data-overage" and ranked[0]["resolution"] == "refund-overage"
    assert set(ranked[0]) >= {"topic", "resolution", "score", "version", "policy"}
    assert ranked == sorted(ranked, key=lambda entry: -entry["score"])


def test_a_danish_message_finds_a_topic_whose_examples_are_english_and_dutch(playbook):
    topic = Topic.objects.get(slug="double-charge")
    topic.examples = {language: texts for language, texts in topic.examples.items() if language in ("en", "nl")}
    topic.updated_at = timezone.now()  # the suggestion index is rebuilt on it
    topic.save(update_fields=["examples", "updated_at"])
    assert set(topic.examples) == {"en", "nl"}  # no Danish examples at all
    assert suggest.suggest("Hej, I har trukket mit abonnement to gange denne måned")[0].topic == "double-charge"


def test_bad_input_is_a_400_with_a_message(playbook, api):
    response = api.post("/api/playbook/suggest/", {"text": "  "}, format="json")
    assert response.status_code == 400 and "text" in response.json()["detail"]
    response = api.post("/api/playbook/suggest/", {"text": "hoi", "language": "Dutch!"}, format="json")
    assert response.status_code == 400 and "language" in response.json()["detail"]


def test_staff_only(playbook, db):
    anonymous = APIClient().post("/api/playbook/suggest/", {"text": "hi"}, format="json")
    assert anonymous.status_code in (401, 403)
    stranger = APIClient()
    stranger.force_authenticate(UserFactory(username="no-queues"))
    assert stranger.post("/api/playbook/suggest/", {"text": "hi"}, format="json").status_code == 403


def test_the_index_follows_playbook_changes(playbook, supervisor):
    resolution = Resolution.objects.get(slug="refund-overage")
    before = suggest.current_index()
    version = actions.resolution_new_version(
        resolution=resolution, answers=resolution.current_version.answers, change_note="Reworded", by=supervisor
    )
    assert suggest.current_index() is not before
    assert suggest.suggest("huge data charges on my bill")[0].version == version.pk
    actions.resolution_retire(resolution=resolution, by=supervisor)
    assert all(entry.resolution != "refund-overage" for entry in suggest.suggest("huge data charges on my bill"))
