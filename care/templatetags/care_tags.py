from __future__ import annotations

from django import template
from django.core.exceptions import ObjectDoesNotExist

register = template.Library()


def _sla(ticket):
    try:
        return ticket.care_sla
    except ObjectDoesNotExist:
        return None


@register.inclusion_tag("care/_sla_facts.html")
def sla_facts(ticket):
    return {"sla": _sla(ticket), "ticket": ticket}


@register.filter
def care_supervisor(user) -> bool:
    """Whether ``user`` may see reports and export or erase customers."""
    from inbox.permissions import is_supervisor

    return bool(user) and is_supervisor(user)
