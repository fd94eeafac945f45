"""Triage reaches the supervisors' findings page live.

Supervisor A watches the findings list; supervisor B triages in a browser of
their own (the change must go through the live server: its channel layer is in
its process). A's page changes without a reload; the coached agent finds the
note in their inbox.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from audit import findings, scenario
from audit.models import CoachingNote, Finding
from tests.e2e.conftest import _sign_in
from tests.factories import SupervisorFactory

LIVE_WITHIN_MS = 3000


@pytest.fixture
def audited(live_url):
    manifest = scenario.seed(customers_per_channel=20)
    findings.run_audit(broadcast=False)
    return manifest


def _page(new_context, live_url, user):
    context = new_context()
    _sign_in(context, live_url, user)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: (errors.append(dialog.message), dialog.dismiss()))
    return page, errors


def test_triage_by_one_supervisor_updates_the_others_page_live(new_context, live_url, audited):
    a = SupervisorFactory(username="ingrid", first_name="Ingrid")
    b = SupervisorFactory(username="bo", first_name="Bo")
    accepted = Finding.objects.filter(kind="divergence").first()
    coached = Finding.objects.filter(kind="promise").first()
    a_page, a_errors = _page(new_context, live_url, a)
    b_page, b_errors = _page(new_context, live_url, b)
    a_page.goto(f"{live_url}/supervisor/audit/findings/?status=all")
    expect(a_page.locator("#audit-live")).to_have_attribute("data-state", "live")
    a_row = a_page.locator(f'tr[data-finding="{accepted.pk}"] .finding-status')
    expect(a_row).to_have_text("Open")

    # When B accepts one finding as an exception
    b_page.goto(f"{live_url}/supervisor/audit/findings/{accepted.pk}/")
    b_page.fill('input[name="note"]', "X runs a roaming campaign this quarter")
    b_page.click('button[name="accept"]')
    # Then A's row says so, without a reload
    expect(a_row).to_have_text("Accepted as exception", timeout=LIVE_WITHIN_MS)
    expect(a_page.locator(f'tr[data-finding="{accepted.pk}"]')).to_have_class("finding status-accepted")

    # When B coaches the agent of a promise finding
    b_page.goto(f"{live_url}/supervisor/audit/findings/{coached.pk}/")
    b_page.fill('textarea[name="body"]', "Refunds stop at 50 EUR: escalate above that.")
    b_page.click('button[name="coach"]')
    expect(a_page.locator(f'tr[data-finding="{coached.pk}"] .finding-status')).to_have_text("Agent coached", timeout=LIVE_WITHIN_MS)
    finding = Finding.objects.get(pk=coached.pk)
    assert finding.status == "coached" and finding.triaged_by == b
    assert CoachingNote.objects.filter(agent=finding.agent, finding=finding).exists()

    # When B takes a stale-wording finding to the playbook editor, it stays open until B saves there
    stale = Finding.objects.filter(kind="stale").first()
    stale_row = a_page.locator(f'tr[data-finding="{stale.pk}"] .finding-status')
    b_page.goto(f"{live_url}/supervisor/audit/findings/{stale.pk}/")
    b_page.click('button[name="playbook"]')
    expect(b_page.locator("#change_note")).to_have_value(f"Audit finding #{stale.pk}: {stale.summary}"[:480])
    expect(stale_row).to_have_text("Open")
    b_page.click('button[type="submit"]:has-text("Save as new version")')
    b_page.wait_for_url(f"{live_url}/supervisor/audit/findings/")
    expect(stale_row).to_have_text("Playbook updated", timeout=LIVE_WITHIN_MS)
    assert Finding.objects.get(pk=stale.pk).triage_note.startswith("v")

    # And the agent reads the note in their inbox
    agent_page, agent_errors = _page(new_context, live_url, finding.agent)
    agent_page.goto(f"{live_url}/inbox/")
    expect(agent_page.locator("#coaching-notes")).to_contain_text("Refunds stop at 50 EUR: escalate above that.")
    assert not (a_errors or b_errors or agent_errors)


def test_each_supervisor_reads_a_live_status_change_in_their_own_language(new_context, live_url, audited):
    from django.conf import settings

    dutch = SupervisorFactory(username="els", first_name="Els")
    english = SupervisorFactory(username="bo", first_name="Bo")
    finding = Finding.objects.filter(kind="divergence").first()
    watcher, watcher_errors = _page(new_context, live_url, dutch)
    watcher.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "nl", "url": live_url}])
    watcher.goto(f"{live_url}/supervisor/audit/findings/?status=all")
    expect(watcher.locator("#audit-live")).to_have_attribute("data-state", "live")
    status = watcher.locator(f'tr[data-finding="{finding.pk}"] .finding-status')
    expect(status).to_have_text("Open")

    # When a supervisor working in English accepts it
    triager, triager_errors = _page(new_context, live_url, english)
    triager.goto(f"{live_url}/supervisor/audit/findings/{finding.pk}/")
    triager.click('button[name="accept"]')
    triager.wait_for_url(f"{live_url}/supervisor/audit/findings/")
    assert Finding.objects.get(pk=finding.pk).status == "accepted"

    # Then the Dutch page names the new status in Dutch, without a reload
    expect(status).to_have_text("Geaccepteerd als uitzondering", timeout=LIVE_WITHIN_MS)
    assert not (watcher_errors or triager_errors)
