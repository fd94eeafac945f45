from __future__ import annotations

from django import template
from django.urls import reverse

from inbox.jsi18n import catalog, page_language

register = template.Library()


@register.simple_tag
def javascript_catalog_url() -> str:
    """The versioned URL of the JavaScript catalog in the page's language."""
    language = page_language()
    return f"{reverse('javascript-catalog', args=[language])}?v={catalog(language)[1]}"
