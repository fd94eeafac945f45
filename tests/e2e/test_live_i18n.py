"""The live inbox's own texts (static/unisono/live.js) in the agent's language,
from the JavaScript catalog at /jsi18n/<language>/."""

from __future__ import annotations

from django.conf import settings
from playwright.sync_api import expect


def test_a_dutch_agent_sees_the_live_connection_state_in_dutch(signed_in_agent, live_url):
    page = signed_in_agent.page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_url}/inbox/")
    status = page.locator("#live-status")
    expect(status).to_have_attribute("data-state", "live")
    expect(status).to_have_attribute("title", "Live updates are on.")

    # When the agent switches the interface to Dutch
    page.select_option("#language-switch", "nl")
    page.get_by_role("button", name="Change language").click()

    # Then the live state, set by live.js once the socket is up, is Dutch too
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(status).to_have_attribute("data-state", "live")
    expect(status).to_have_attribute("title", "Live-updates staan aan.")
    expect(status).to_have_text("live")
    # And so is what it says when live updates stop
    page.evaluate("window.unisonoLive.disconnect({reconnect: false})")
    expect(status).to_have_attribute("data-state", "offline")
    expect(status).to_have_attribute("title", "Live-updates zijn gepauzeerd.")
    assert not errors, errors


def test_a_norwegian_agent_sees_offline_in_norwegian(signed_in_agent, live_url):
    # The cookie the language switch would have set.
    page = signed_in_agent.page
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "nb", "url": live_url}])
    page.goto(f"{live_url}/inbox/")
    status = page.locator("#live-status")
    expect(status).to_have_attribute("title", "Liveoppdateringer er på.")

    page.evaluate("window.unisonoLive.disconnect({reconnect: false})")

    expect(status).to_have_text("frakoblet")
    expect(status).to_have_attribute("title", "Liveoppdateringer er satt på pause.")
