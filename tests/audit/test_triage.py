"""Triage through audit.actions: state changes, coaching notes in the agent's inbox, live frames."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse

from audit import actions
from audit.models import CoachingNote, Finding
from config.asgi import application
from inbox.actions import ActionError
from tests.factories import QueueFactory, SupervisorFactory, UserFactory


def _finding(agent=None, **overrides):
    values = {"key": f"promise:{Finding.objects.count() + 1}", "kind": "promise", "summary": "Promised 120 EUR", "agent": agent,
              "message_ids": [1], "details": {"language": "en"}}
    values.update(overrides)
    return Finding.objects.create(**values)


def test_accept_marks_the_finding(db, supervisor, agent):
    finding = _finding(agent)
    actions.finding_accept(finding=finding, by=supervisor, note="Agreed with billing")
    finding.refresh_from_db()
    assert (finding.status, finding.triaged_by, finding.triage_note) == ("accepted", supervisor, "Agreed with billing")


def test_a_triaged_finding_cannot_be_triaged_again(db, supervisor, agent):
    finding = _finding(agent)
    actions.finding_accept(finding=finding, by=supervisor)
    with pytest.raises(ActionError, match="already triaged"):
        actions.finding_coach(finding=finding, by=supervisor, body="Please don't")
    assert CoachingNote.objects.count() == 0


def test_coaching_needs_a_note_and_an_agent(db, supervisor, agent):
    with pytest.raises(ActionError, match="note"):
        actions.finding_coach(finding=_finding(agent), by=supervisor, body="  ")
    with pytest.raises(ActionError, match="no single agent"):
        actions.finding_coach(finding=_finding(None), by=supervisor, body="Hello")
    assert Finding.objects.filter(status="open").count() == 2
    assert CoachingNote.objects.count() == 0


def test_coaching_note_appears_in_the_agents_inbox_until_read(db, supervisor, agent, queue):
    finding = _finding(agent)
    note = actions.finding_coach(finding=finding, by=supervisor, body="The limit is 50 EUR; escalate above it.")
    client = Client()
    client.force_login(agent)
    page = client.get("/inbox/")
    assert page.status_code == 200
    assert 'hx-get="/supervisor/audit/my-notes/"' in page.content.decode()
    assert "The limit is 50 EUR; escalate above it." in client.get("/supervisor/audit/my-notes/").content.decode()
    finding.refresh_from_db()
    assert finding.status == "coached"
    # When the agent marks it read, it leaves the inbox
    response = client.post(f"/supervisor/audit/notes/{note.pk}/read/", {"next": "/inbox/"})
    assert response.status_code == 302
    assert "The limit is 50 EUR" not in client.get("/supervisor/audit/my-notes/").content.decode()


def test_another_agent_cannot_mark_a_note_read(db, supervisor, agent, outsider):
    note = actions.finding_coach(finding=_finding(agent), by=supervisor, body="Note")
    client = Client()
    client.force_login(outsider)
    assert client.post(f"/supervisor/audit/notes/{note.pk}/read/").status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_update_playbook_opens_the_editor_prefilled(db, supervisor, agent):
    _open_editor(supervisor, agent)


def _open_editor(supervisor, agent):
    from resolutions.models import Resolution, Topic

    topic = Topic.objects.create(slug="esim", names={"en": "eSIM"})
    resolution = Resolution.objects.create(topic=topic, slug="esim-activate", title="Activate")
    from resolutions import actions as resolution_actions

    resolution_actions.resolution_new_version(resolution=resolution, answers={"en": {"default": "Hi {first_name}"}}, change_note="v1", by=supervisor)
    finding = _finding(None, kind="cluster", key="cluster:1", topic=topic, details={"language": "en", "proposal": "Scan the QR code in the app."})
    client = Client()
    client.force_login(supervisor)
    response = client.post(f"/supervisor/audit/findings/{finding.pk}/playbook/")
    assert response.status_code == 302
    editor = client.get(response["Location"])
    assert editor.status_code == 200
    body = editor.content.decode()
    assert "Scan the QR code in the app." in body
    assert f"Audit finding #{finding.pk}" in body
    # Opening the editor is not the fix: the finding stays open until a version is saved
    finding.refresh_from_db()
    assert finding.status == "open"
    return client, resolution, finding, response["Location"]


def _editor_post(client, resolution, finding_pk, **fields):
    data = {"answer-en-default": "Hi {first_name}, scan the QR code in the app.", "change_note": "eSIM activation answer", **fields}
    if finding_pk is not None:
        data["finding"] = str(finding_pk)
    return client.post(reverse("resolutions:edit", args=[resolution.pk]), data)


def test_saving_the_new_version_from_the_editor_marks_the_finding(db, supervisor, agent):
    client, resolution, finding, _url = _open_editor(supervisor, agent)
    # A save that fails (no change note) leaves the finding open
    failed = _editor_post(client, resolution, finding.pk, change_note="")
    assert failed.status_code == 400
    finding.refresh_from_db()
    assert finding.status == "open"
    # The save that writes version 2 marks it, with the version in the note
    response = _editor_post(client, resolution, finding.pk)
    assert response.status_code == 302 and response["Location"] == "/supervisor/audit/findings/"
    finding.refresh_from_db()
    resolution.refresh_from_db()
    assert resolution.current_version.number == 2
    assert (finding.status, finding.triaged_by, finding.triage_note) == ("playbook_updated", supervisor, "v2: eSIM activation answer")
    # A second save from the same (now triaged) link saves a version and leaves the triage alone
    assert _editor_post(client, resolution, finding.pk, change_note="typo").status_code == 302
    finding.refresh_from_db()
    assert finding.triage_note == "v2: eSIM activation answer"


def test_a_finding_triaged_meanwhile_cannot_be_taken_to_the_editor(db, supervisor, agent):
    client, _resolution, finding, _url = _open_editor(supervisor, agent)
    actions.finding_accept(finding=finding, by=supervisor)
    response = client.post(f"/supervisor/audit/findings/{finding.pk}/playbook/", follow=True)
    assert "already triaged" in response.content.decode()
    finding.refresh_from_db()
    assert finding.status == "accepted"


def test_a_cluster_on_a_topic_without_a_resolution_becomes_a_new_resolution(db, supervisor):
    from resolutions.models import Resolution, Topic

    topic = Topic.objects.create(slug="fiber", names={"en": "Fibre"})
    finding = _finding(None, kind="cluster", key="cluster:2", topic=topic, details={"language": "en", "proposal": "Restart the ONT."})
    client = Client()
    client.force_login(supervisor)
    # "Update the playbook" opens the new-resolution form, prefilled; the finding stays open
    response = client.post(f"/supervisor/audit/findings/{finding.pk}/playbook/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("resolutions:new"))
    form = client.get(response["Location"])
    assert form.status_code == 200
    html = form.content.decode()
    assert "Restart the ONT." in html and f'<option value="{topic.pk}" selected>' in html
    finding.refresh_from_db()
    assert finding.status == "open"
    fields = {"topic": str(topic.pk), "title": "Restart the fibre box", "policy": "Walk through a restart; book a visit after two.",
              "answer-en-default": "Hi {first_name},\r\nRestart the ONT.", "change_note": "From the eSIM-style cluster", "finding": str(finding.pk)}
    # Bad input: no title, no topic -> a form error, nothing stored, the finding still open
    for missing in ("title", "topic"):
        bad = client.post(reverse("resolutions:new"), {**fields, missing: ""})
        assert bad.status_code == 400
    assert not Resolution.objects.filter(topic=topic).exists()
    finding.refresh_from_db()
    assert finding.status == "open"
    # Saving adds the resolution with version 1 and marks the finding
    saved = client.post(reverse("resolutions:new"), fields)
    assert saved.status_code == 302 and saved["Location"] == "/supervisor/audit/findings/"
    resolution = Resolution.objects.get(topic=topic)
    assert (resolution.slug, resolution.current_version.number) == ("restart-the-fibre-box", 1)
    assert resolution.current_version.answers == {"en": {"default": "Hi {first_name},\nRestart the ONT."}}
    finding.refresh_from_db()
    assert (finding.status, finding.triage_note) == ("playbook_updated", "v1: From the eSIM-style cluster")


def test_agents_cannot_add_resolutions(db, agent):
    client = Client()
    client.force_login(agent)
    assert client.get(reverse("resolutions:new")).status_code == 403
    assert client.post(reverse("resolutions:new"), {"title": "x"}).status_code == 403


@pytest.mark.django_db(transaction=True)
async def test_triage_reaches_supervisors_sockets_not_agents():
    supervisor = await sync_to_async(SupervisorFactory)()
    general = await sync_to_async(QueueFactory)(slug="general", name="General")
    agent = await sync_to_async(UserFactory)(queues=[general])
    finding = await sync_to_async(_finding)(agent)

    async def connect(user):
        client = Client()
        await sync_to_async(client.force_login)(user)
        cookie = (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())
        communicator = WebsocketCommunicator(application, "/ws/inbox/", headers=[(b"origin", b"http://127.0.0.1"), cookie])
        connected, _ = await communicator.connect()
        assert connected
        return communicator

    supervisor_socket, agent_socket = await connect(supervisor), await connect(agent)
    await sync_to_async(actions.finding_accept)(finding=finding, by=supervisor)
    frame = await supervisor_socket.receive_json_from(timeout=3)
    assert frame["type"] == "finding.updated"
    assert frame["data"]["id"] == finding.pk and frame["data"]["status"] == "accepted"
    assert await agent_socket.receive_nothing(timeout=0.3)
    await supervisor_socket.disconnect()
    await agent_socket.disconnect()
