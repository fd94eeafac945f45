from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def coaching_notes():
    """A slot the inbox fills after load (htmx): the agent's list page keeps
    its fixed number of queries, the notes cost a request of their own."""
    return format_html('<div id="coaching-notes-slot" hx-get="{}" hx-trigger="load" hx-swap="outerHTML"></div>', reverse("audit:my_notes"))


@register.simple_tag
def finding_status_labels() -> dict:
    """Each finding status's label in the viewer's language: a live frame
    carries the status, and this page names it (the triaging supervisor may
    read another language)."""
    from audit.models import Finding

    return {value: str(label) for value, label in Finding.Status.choices}
