"""Agent pages of the phone channel: the call-me-back queue and the Log call form.

Kept out of inbox/views.py (the live inbox pages) but built the same way:
staff only, reads through selectors, writes through actions, PRG.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from channels_app.phone.forms import LogCallForm
from inbox import actions, selectors
from inbox.models import CallbackTask, Ticket
from inbox.views import staff_required
from resolutions import selectors as playbook_selectors
from resolutions import suggest

PAGE_SIZE = 50
ROWS_TARGET = "callback-rows"


@require_GET
@staff_required
def callback_queue(request: HttpRequest) -> HttpResponse:
    """Open callbacks, the most urgent first. Live while it is open
    (static/unisono/live.js): a callback.updated frame re-fetches the rows
    (this view, HX-Target callback-rows), and each row turns overdue in the
    browser when its due time passes."""
    after = request.GET.get("after", "")
    if after and not after.isdigit():
        return render(request, "inbox/callbacks.html", {"error": gettext("This page link is not valid; start from the first page."), "tasks": []}, status=400)
    last_event_id = selectors.latest_event_id()  # before the rows: see latest_event_id
    tasks, next_after = selectors.callback_queue(user=request.user, after_id=int(after) if after else None, size=PAGE_SIZE)
    context = {"tasks": tasks, "next_after": next_after, "after": after, "now": timezone.now(), "last_event_id": last_event_id}
    if request.headers.get("HX-Target") == ROWS_TARGET:
        return render(request, "inbox/_callback_rows.html", context)
    return render(request, "inbox/callbacks.html", context)


def _ticket(request: HttpRequest, pk: int) -> Ticket:
    # Someone else's queue answers "not found", as on the ticket page.
    ticket = selectors.visible_ticket(user=request.user, pk=pk)
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def _callback(request: HttpRequest, ticket: Ticket, raw) -> CallbackTask | None:
    if raw in (None, ""):
        return None
    task = selectors.visible_callback(user=request.user, pk=int(raw))
    if task is None or task.ticket_id != ticket.pk:
        raise Http404("No such callback on this ticket.")
    return task


@require_http_methods(["GET", "POST"])
@staff_required
def log_call(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket(request, pk)
    if request.method == "GET":
        raw = request.GET.get("callback", "")
        callback = _callback(request, ticket, raw if raw.isdigit() else None)
        form = LogCallForm(
            initial={"submission_id": uuid.uuid4(), "callback": callback.pk if callback else None},
            **_playbook_choices(ticket),
        )
        return _page(request, ticket, form, callback)

    form = LogCallForm(request.POST, **_playbook_choices(ticket))
    callback = None
    if form.is_valid():
        callback = _callback(request, ticket, form.cleaned_data.get("callback"))
        data = form.cleaned_data
        try:
            message = actions.log_call(
                ticket=ticket,
                author=request.user,
                direction=data["direction"],
                outcome=data["outcome"],
                duration_seconds=data["duration_seconds"],
                summary=data["summary"],
                submission_id=str(data["submission_id"]),
                callback=callback,
                resolution_version=data["resolution_version"],
                off_playbook_reason=data["off_playbook_reason"],
                exception_reason=data["exception_reason"],
            )
        except actions.ActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, gettext("Call logged and the callback is done.") if callback else gettext("Call logged."))
            return redirect(f"{reverse('inbox:ticket', args=[ticket.pk])}#message-{message.pk}")
    elif str(form.data.get("callback", "")).isdigit():
        callback = _callback(request, ticket, form.data["callback"])
    return _page(request, ticket, form, callback, status=400)


def _playbook_choices(ticket: Ticket) -> dict:
    """The live playbook for the form's select, with the top suggestion for
    the customer's latest message marked (not chosen: the agent says what
    was actually given)."""
    latest = selectors.latest_inbound_message(ticket)
    language = (latest.language if latest else "") or ticket.customer.language
    found = suggest.suggest(latest.body, language=language, limit=1) if latest and latest.body.strip() else []
    return {
        "playbook": playbook_selectors.playbook_topics(),
        "suggested": found[0].version if found else None,
        "language": (translation.get_language() or "en")[:2],
    }


def _page(request: HttpRequest, ticket: Ticket, form: LogCallForm, callback: CallbackTask | None, status: int = 200) -> HttpResponse:
    identity = selectors.customer_identity(ticket.customer, kind="phone")
    return render(
        request,
        "inbox/log_call.html",
        {"ticket": ticket, "form": form, "callback": callback, "phone": callback.phone if callback else (identity.value if identity else "")},
        status=status,
    )
