"""The composer's playbook panel: suggestions for the ticket's latest customer message."""

from __future__ import annotations

from django import template

from inbox import selectors as inbox_selectors
from resolutions import selectors, suggest
from resolutions.tone import rules_for_client

register = template.Library()


@register.simple_tag
def playbook_composer(ticket) -> dict:
    latest = inbox_selectors.latest_inbound_message(ticket)
    language = (latest.language if latest else "") or ticket.customer.language
    revision, topic_slug = selectors.composer_state(ticket.pk)
    suggestions = (
        suggest.suggest(latest.body, language=language, limit=3, revision=revision)
        if latest and latest.body.strip()
        else []
    )
    return {
        "suggestions": suggestions,
        "topic_slug": topic_slug,
        "tone_rules": {**rules_for_client(), "first_name": ticket.customer.first_name},
    }
