"""QA review: equal sample per channel, scorecards, calibration, agents see their reviews."""

from __future__ import annotations

from collections import Counter

import pytest
from django.test import Client

from audit import qa
from audit.models import Review
from inbox.actions import ActionError
from inbox.models import Message
from tests.factories import SupervisorFactory


def test_sample_is_drawn_equally_from_each_channel(seeded, supervisor):
    batch = qa.sample_create(by=supervisor, per_channel=4, seed=1)
    channels = Counter(Message.objects.filter(pk__in=batch.message_ids).values_list("channel", flat=True))
    assert channels == {"web": 4, "email": 4, "phone": 4, "sms": 4, "x": 4}


def test_bad_sample_size_is_refused(seeded, supervisor):
    with pytest.raises(ActionError, match="between 1 and 50"):
        qa.sample_create(by=supervisor, per_channel=0)
    client = Client()
    client.force_login(supervisor)
    response = client.post("/supervisor/audit/qa/", {"per_channel": "lots"})
    assert response.status_code == 400 and "per channel" in response.content.decode()


def test_scores_must_be_one_to_four_and_once_per_reviewer(seeded, supervisor):
    batch = qa.sample_create(by=supervisor, per_channel=1, seed=2)
    message_id = batch.message_ids[0]
    with pytest.raises(ActionError, match="1 to 4"):
        qa.review_save(batch=batch, message_id=message_id, by=supervisor, scores={"right_resolution": 5, "personal": 3, "warm": 3, "clear": 3})
    good = {"right_resolution": 4, "personal": 3, "warm": 3, "clear": 4}
    qa.review_save(batch=batch, message_id=message_id, by=supervisor, scores=good)
    with pytest.raises(ActionError, match="already scored"):
        qa.review_save(batch=batch, message_id=message_id, by=supervisor, scores=good)
    with pytest.raises(ActionError, match="not in this sample"):
        qa.review_save(batch=batch, message_id=-1, by=supervisor, scores=good)
    assert Review.objects.count() == 1


def test_calibration_shows_where_two_supervisors_differ(seeded, supervisor):
    other = SupervisorFactory(username="bo")
    batch = qa.sample_create(by=supervisor, per_channel=1, seed=3)
    message_id = batch.message_ids[0]
    qa.review_save(batch=batch, message_id=message_id, by=supervisor, scores={"right_resolution": 4, "personal": 4, "warm": 4, "clear": 4})
    qa.review_save(batch=batch, message_id=message_id, by=other, scores={"right_resolution": 1, "personal": 4, "warm": 3, "clear": 4}, comment="Wrong policy")
    row = next(row for row in qa.batch_rows(batch) if row["message"].pk == message_id)
    assert row["spread"] == {"right_resolution": 3, "personal": 0, "warm": 1, "clear": 0}
    assert row["disagree"]
    client = Client()
    client.force_login(supervisor)
    page = client.get(f"/supervisor/audit/qa/{batch.pk}/").content.decode()
    assert "Wrong policy" in page and 'class="spread"' in page


def test_agent_sees_their_reviews(seeded, supervisor):
    batch = qa.sample_create(by=supervisor, per_channel=1, seed=4)
    message = Message.objects.get(pk=batch.message_ids[0])
    client = Client()
    client.force_login(supervisor)
    response = client.post(f"/supervisor/audit/qa/{batch.pk}/score/{message.pk}/",
                           {"right_resolution": "3", "personal": "2", "warm": "4", "clear": "3", "comment": "Use the name"})
    assert response.status_code == 302
    agent = Client()
    agent.force_login(message.author)
    page = agent.get("/supervisor/audit/my-reviews/").content.decode()
    assert "Use the name" in page and message.ticket.reference in page
    assert agent.get("/supervisor/audit/qa/").status_code == 403
