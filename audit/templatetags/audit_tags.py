from __future__ import annotations

from django import template

from audit import selectors

register = template.Library()


@register.inclusion_tag("audit/_coaching_notes.html", takes_context=True)
def coaching_notes(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    from audit.models import Review

    has_reviews = bool(user is not None and user.is_authenticated and Review.objects.filter(agent=user).exists())
    return {"notes": selectors.coaching_notes_for(user) if user is not None else [], "has_reviews": has_reviews, "csrf_token": context.get("csrf_token"),
            "next": request.get_full_path() if request else "/inbox/"}
