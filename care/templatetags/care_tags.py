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


@register.inclusion_tag("care/_phone_consent.html", takes_context=True)
def phone_consent(context, ticket, customer, identities):
    """On the customer panel: whether the customer agreed to follow-ups and,
    for those who reach us by phone, SMS or X (no web form to tick it on), a
    button to record the consent they gave on the phone. Reads only what the
    panel loaded."""
    kinds = {identity.kind for identity in identities}
    return {
        "ticket": ticket,
        "customer": customer,
        "can_record": bool(kinds & {"phone", "x"}) and not customer.consent_follow_up,
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def care_supervisor(user) -> bool:
    """Whether ``user`` may see reports and export or erase customers."""
    from inbox.permissions import is_supervisor

    return bool(user) and is_supervisor(user)


@register.filter
def privacy_change(change: dict) -> str:
    """A preference change of the privacy audit trail, in words."""
    from django.utils.translation import gettext

    if "to" in change:
        return gettext("%(old)s → %(new)s") % {"old": change.get("from", ""), "new": change["to"]}
    if "consent_follow_up" in change:
        text = gettext("given") if change["consent_follow_up"] else gettext("withdrawn")
        if change.get("source") == "phone":
            text += " " + gettext("(on the phone)")
        return text
    return ""
