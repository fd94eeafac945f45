"""The agent inbox pages: the ticket list and one ticket.

Thin views: parse with ``inbox.forms``, read through ``inbox.selectors``, write
through ``inbox.actions``, render. Every POST redirects back (PRG) with a flash
message, or re-renders the ticket page with the error and a 4xx status.

Templates are split into partials (a message, the customer panel, the ticket
header; list rows, the hot path, are rendered by ``inbox.rows``) so a live
client can re-render exactly one piece; the ``*_context`` helpers build what
each partial needs. The live client
(static/unisono/live.js) fetches them from the small GET endpoints at the end
of this module when a websocket frame says something changed: the server, not
the browser, decides whether a ticket still matches the list's filters and
what a row or a message looks like.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from channels_app.registry import sendable_channels
from inbox import actions, selectors
from inbox.forms import AssignForm, NoteForm, ReplyForm, StatusForm, TicketFilterForm
from inbox.models import Channel, Message, Ticket
from inbox.permissions import is_staff_member
from inbox.rows import RowRenderer, for_rows

PAGE_SIZE = 50
RESULTS_TARGET = "ticket-results"  # the element htmx swaps when the filters change
STALE_BANNER = _("New messages arrived while you were writing — read them, then send")
MAX_LIVE_ROWS = PAGE_SIZE  # ids one live row refresh may ask for


def staff_required(view):
    """Signed-in agents and supervisors only. Anonymous users go to the
    sign-in page; a signed-in user outside every queue gets a clear 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_staff_member(request.user):
            return render(request, "inbox/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return login_required(wrapper)


# --- the list ------------------------------------------------------------------------


@dataclass(frozen=True)
class UrgentBand:
    rows: list
    more: bool  # more urgent tickets than the band shows
    all_query: str  # the list filtered to every urgent ticket


@require_GET
@staff_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    full_page = request.headers.get("HX-Target") != RESULTS_TARGET
    # The counters and the latest event id come in one statement, before the
    # rows (see selectors.work_counts); the htmx partial has no counters.
    counts = selectors.work_counts(request.user) if full_page else None
    last_event_id = counts.latest_event_id if counts is not None else None
    if last_event_id is None:
        last_event_id = selectors.latest_event_id()  # before the rows: see latest_event_id
    form = TicketFilterForm(request.GET, user=request.user)
    context: dict = {
        "form": form, "tickets": [], "next_query": "", "first_query": "", "error": "", "last_event_id": last_event_id,
        "band": None,
    }
    status = 200
    renderer = RowRenderer()  # labels translated once for the band and the page
    if form.is_valid():
        filters = form.filters()
        tickets = for_rows(selectors.ticket_list(user=request.user, filters=filters))
        after = request.GET.get("after", "")
        if selectors.has_urgent_band(filters):
            if not after:
                # No active ticket visible (counted above): no urgent one either.
                rows, more = selectors.urgent_band(tickets) if counts is None or counts.by_status else ([], False)
                context["band"] = UrgentBand(
                    rows=renderer.rows(rows), more=more, all_query=_query_with(request, after=None, urgency="urgent")
                )
            tickets = selectors.without_urgent(tickets)
        try:
            context["tickets"], next_cursor = selectors.ticket_page(tickets, after=after, size=PAGE_SIZE)
        except selectors.BadCursor as error:
            context["error"] = str(error)
            context["band"] = None
            status = 400
        else:
            if next_cursor:
                context["next_query"] = _query_with(request, after=next_cursor)
            if after:
                context["first_query"] = _query_with(request, after=None)
    else:
        context["error"] = gettext("Some filters are not valid; fix them and try again.")
        status = 400

    context["rows"] = renderer.rows(context["tickets"])
    if not full_page:
        return render(request, "inbox/_list_results.html", context, status=status)
    context["counts"] = status_counts(counts.by_status)
    return render(request, "inbox/ticket_list.html", context, status=status)


def _query_with(request: HttpRequest, *, after: str | None, **changes: str) -> str:
    params = request.GET.copy()
    params.pop("after", None)
    if after:
        params["after"] = after
    for name, value in changes.items():
        params[name] = value
    return params.urlencode()


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int | None  # None: a link without a number


def status_counts(by_status: dict[str, int]) -> list[StatusCount]:
    """The counters above the list, from ``selectors.work_counts``.

    Only the work still to do is counted: solved and closed tickets grow with
    history forever, and counting them on every list view would make the inbox
    slower each month. Their filters stay as plain links."""
    return [
        StatusCount("active", "Active", sum(by_status.values())),
        *(
            StatusCount(value, label, by_status.get(value, 0) if value in Ticket.WORK_STATUSES else None)
            for value, label in Ticket.Status.choices
        ),
        StatusCount("all", "All", None),
    ]


# --- one ticket ----------------------------------------------------------------------


@dataclass(frozen=True)
class OtherTicket:
    ticket: Ticket
    visible: bool


def _visible_ticket(user, pk: int) -> Ticket:
    # A ticket in someone else's queue is "not found", never "forbidden":
    # the answer must not confirm that it exists.
    ticket = selectors.ticket_detail(user=user, pk=pk)
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def customer_panel_context(user, ticket: Ticket) -> dict:
    others = selectors.customer_other_tickets(customer=ticket.customer, exclude_ticket_id=ticket.pk, visible_to=user)
    return {
        "customer": ticket.customer,
        "identities": list(ticket.customer.identities.all()),
        "other_tickets": [OtherTicket(ticket=other, visible=other.visible) for other in others],
    }


def _render_ticket(
    request: HttpRequest,
    ticket: Ticket,
    *,
    status: int = 200,
    reply_form: ReplyForm | None = None,
    note_form: NoteForm | None = None,
    assign_form: AssignForm | None = None,
    status_form: StatusForm | None = None,
    error: str = "",
    newer_ids: frozenset[int] = frozenset(),
) -> HttpResponse:
    # Read with the ticket (selectors.ticket_detail), before its thread.
    last_event_id = ticket.latest_event_id or 0
    thread = list(ticket.messages.all())
    last_seen = thread[-1].pk if thread else 0
    sendable = sendable_channels()
    if reply_form is None:
        reply_form = ReplyForm(
            initial={"channel": actions.default_reply_channel(ticket, sendable=sendable), "last_seen_message_id": last_seen},
            sendable=sendable,
        )
    context = {
        "ticket": ticket,
        "thread": thread,
        "newer_ids": newer_ids,
        "stale": bool(newer_ids),
        "stale_banner": STALE_BANNER,
        "error": error,
        "reply_form": reply_form,
        "note_form": note_form or NoteForm(),
        "assign_form": assign_form or AssignForm(initial={"assignee": ticket.assignee_id}, ticket=ticket, user=request.user),
        "status_form": status_form or StatusForm(initial={"status": ticket.status}),
        "last_event_id": last_event_id,
        **customer_panel_context(request.user, ticket),
    }
    return render(request, "inbox/ticket_detail.html", context, status=status)


def _back_to(ticket: Ticket, message: Message | None = None) -> HttpResponse:
    url = reverse("inbox:ticket", args=[ticket.pk])
    return redirect(f"{url}#message-{message.pk}" if message else url)


@require_GET
@staff_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_ticket(request, _visible_ticket(request.user, pk))


@require_POST
@staff_required
def ticket_reply(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _visible_ticket(request.user, pk)
    wants_json = _wants_json(request)
    form = ReplyForm(request.POST, sendable=sendable_channels())
    if not form.is_valid():
        if wants_json:
            return _form_errors_json(form)
        return _render_ticket(request, ticket, reply_form=form, status=400)
    data = form.cleaned_data
    try:
        message = actions.reply(
            ticket=ticket,
            author=request.user,
            body=data["body"],
            channel=data["channel"],
            last_seen_message_id=data["last_seen_message_id"],
            meta=form.reply_meta(),
            resolution_version=data.get("resolution_version"),
            off_playbook_reason=data.get("off_playbook_reason"),
            exception_reason=data.get("exception_reason"),
        )
    except actions.StaleReply as stale:
        newer_ids = frozenset(message.pk for message in stale.newer)
        if wants_json:
            return _stale_reply_json(request, ticket, after_id=data["last_seen_message_id"], newer_ids=newer_ids)
        # Read the ticket again so every newer message is on the page, and
        # keep the draft; the hidden "last seen" moves to the newest shown,
        # so sending again after reading goes through.
        ticket = _visible_ticket(request.user, pk)
        thread = list(ticket.messages.all())
        draft = ReplyForm(
            initial={"body": data["body"], "channel": data["channel"], "last_seen_message_id": thread[-1].pk},
            sendable=sendable_channels(),
        )
        return _render_ticket(request, ticket, reply_form=draft, newer_ids=newer_ids, status=409)
    except actions.ActionError as error:
        if wants_json:
            return JsonResponse({"error": str(error)}, status=400)
        return _render_ticket(request, ticket, reply_form=form, error=str(error), status=400)
    notice = gettext("Reply queued for sending by {channel}.").format(channel=Channel(message.channel).label)
    if wants_json:
        html = render_to_string("inbox/_message.html", {"ticket": ticket, "message": message}, request)
        return JsonResponse({"message": message.pk, "html": html, "notice": notice}, status=201)
    messages.success(request, notice)
    return _back_to(ticket, message)


def _wants_json(request: HttpRequest) -> bool:
    # Only the live client asks for JSON first; a browser's plain form POST
    # accepts */* and must keep getting pages and redirects.
    return request.headers.get("Accept", "").split(",")[0].strip() == "application/json"


def _form_errors_json(form) -> JsonResponse:
    errors = {field: [error["message"] for error in field_errors] for field, field_errors in form.errors.get_json_data().items()}
    first = next(iter(errors.values()))[0]
    return JsonResponse({"error": first, "errors": errors}, status=400)


def _stale_reply_json(request: HttpRequest, ticket: Ticket, *, after_id: int, newer_ids: frozenset[int]) -> JsonResponse:
    """The 409 of the live client: every message after the one the agent had
    seen, rendered, and the id to send with next time. The client shows them
    and keeps the draft; only now has the agent been shown them."""
    shown = selectors.ticket_messages(ticket=ticket, after_id=after_id)
    context = {"ticket": ticket, "newer_ids": newer_ids}
    return JsonResponse(
        {
            "error": STALE_BANNER,
            "messages": [
                {"message": message.pk, "html": render_to_string("inbox/_message.html", {**context, "message": message}, request)}
                for message in shown
            ],
            "last_seen_message_id": shown[-1].pk if shown else after_id,
        },
        status=409,
    )


@require_POST
@staff_required
def ticket_note(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _visible_ticket(request.user, pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_ticket(request, ticket, note_form=form, status=400)
    try:
        message = actions.add_note(ticket=ticket, author=request.user, body=form.cleaned_data["body"])
    except actions.ActionError as error:
        return _render_ticket(request, ticket, note_form=form, error=str(error), status=400)
    messages.success(request, gettext("Internal note added."))
    return _back_to(ticket, message)


@require_POST
@staff_required
def ticket_assign(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _visible_ticket(request.user, pk)
    form = AssignForm(request.POST, ticket=ticket, user=request.user)
    if not form.is_valid():
        return _render_ticket(request, ticket, assign_form=form, status=400)
    assignee = form.cleaned_data["assignee"]
    try:
        actions.assign(ticket=ticket, assignee=assignee, by=request.user)
    except actions.ActionError as error:
        return _render_ticket(request, ticket, assign_form=form, error=str(error), status=400)
    if assignee is None:
        messages.success(request, gettext("{reference} is unassigned.").format(reference=ticket.reference))
    elif assignee.pk == request.user.pk:
        messages.success(request, gettext("{reference} is assigned to you.").format(reference=ticket.reference))
    else:
        messages.success(
            request,
            gettext("{reference} is assigned to {assignee}.").format(
                reference=ticket.reference, assignee=assignee.get_full_name() or assignee.get_username()
            ),
        )
    return _back_to(ticket)


@require_POST
@staff_required
def ticket_status(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _visible_ticket(request.user, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _render_ticket(request, ticket, status_form=form, status=400)
    try:
        ticket = actions.set_status(ticket=ticket, status=form.cleaned_data["status"], by=request.user)
    except actions.ActionError as error:
        return _render_ticket(request, ticket, status_form=form, error=str(error), status=400)
    messages.success(
        request, gettext("{reference} is now {status}.").format(reference=ticket.reference, status=ticket.get_status_display().lower())
    )
    return _back_to(ticket)


@require_POST
@staff_required
def message_retry(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    ticket = _visible_ticket(request.user, pk)
    # Only a message of this (visible) ticket: the prefetched thread is the allow-list.
    message = next((message for message in ticket.messages.all() if message.pk == message_id), None)
    if message is None:
        raise Http404("No such message on this ticket.")
    try:
        actions.message_retry(message=message, by=request.user)
    except actions.ActionError as error:
        return _render_ticket(request, ticket, error=str(error), status=400)
    messages.success(request, gettext("Sending the message again."))
    return _back_to(ticket, message)


# --- partials for the live client ------------------------------------------------------


@require_GET
@staff_required
def ticket_rows(request: HttpRequest) -> JsonResponse:
    """Rows for the tickets ``ids`` as the list page with these query
    parameters (filters, cursor) would show them, plus fresh counters. A
    ticket that no longer belongs on that page (or that the user may not see:
    same answer, nothing confirmed) is listed in ``gone``."""
    ids = _parse_ids(request.GET.get("ids", ""))
    if ids is None:
        return JsonResponse({"error": f"ids must be 1 to {MAX_LIVE_ROWS} ticket ids, separated by commas."}, status=400)
    form = TicketFilterForm(request.GET, user=request.user)
    if not form.is_valid():
        return JsonResponse({"error": gettext("Some filters are not valid; fix them and try again.")}, status=400)
    filters = form.filters()
    visible = for_rows(selectors.ticket_list(user=request.user, filters=filters))
    tickets = visible.filter(pk__in=ids)
    after = request.GET.get("after", "")
    band: list[Ticket] = []
    if selectors.has_urgent_band(filters):
        if not after:  # the band is on the first page only: the same top tickets a reload shows, of those asked
            top, _more = selectors.urgent_band(visible)
            band = [ticket for ticket in top if ticket.pk in ids]
        tickets = selectors.without_urgent(tickets)
    try:
        # The page's own cursor: a ticket that moved newer than a later page's
        # start belongs on the first page, not here.
        rows, _ = selectors.ticket_page(tickets, after=after, size=len(ids))
    except selectors.BadCursor as error:
        return JsonResponse({"error": str(error)}, status=400)
    shown = {ticket.pk for ticket in band} | {ticket.pk for ticket in rows}
    renderer = RowRenderer()
    counts = selectors.work_counts(request.user)
    return JsonResponse(
        {
            # "band": the row belongs in the urgent band above the pages.
            "rows": [{"ticket": ticket.pk, "html": renderer.row(ticket), "band": True} for ticket in band]
            + [{"ticket": ticket.pk, "html": renderer.row(ticket), "band": False} for ticket in rows],
            "gone": [pk for pk in ids if pk not in shown],
            "counts": render_to_string("inbox/_status_counts.html", {"counts": status_counts(counts.by_status)}, request),
        }
    )


def _parse_ids(raw: str) -> list[int] | None:
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not parts or len(parts) > MAX_LIVE_ROWS or not all(part.isdigit() and len(part) < 19 for part in parts):
        return None
    return list(dict.fromkeys(int(part) for part in parts))


def _visible_ticket_only(user, pk: int) -> Ticket:
    ticket = selectors.visible_ticket(user=user, pk=pk)
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


@require_GET
@staff_required
def ticket_message(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    """One rendered message of a visible ticket; ``?new=1`` marks it as just
    arrived (highlighted, not yet acknowledged by a send)."""
    ticket = _visible_ticket_only(request.user, pk)
    found = selectors.ticket_messages(ticket=ticket, ids=[message_id])
    if not found:
        raise Http404("No such message on this ticket.")
    newer_ids = frozenset({message_id}) if request.GET.get("new") == "1" else frozenset()
    return render(request, "inbox/_message.html", {"ticket": ticket, "message": found[0], "newer_ids": newer_ids})


@require_GET
@staff_required
def ticket_parts(request: HttpRequest, pk: int) -> JsonResponse:
    """The ticket header and the controls, re-rendered after a ticket.updated."""
    ticket = _visible_ticket_only(request.user, pk)
    controls = {
        "ticket": ticket,
        "assign_form": AssignForm(initial={"assignee": ticket.assignee_id}, ticket=ticket, user=request.user),
        "status_form": StatusForm(initial={"status": ticket.status}),
    }
    return JsonResponse(
        {
            "status": ticket.status,
            "header": render_to_string("inbox/_ticket_header.html", {"ticket": ticket}, request),
            "controls": render_to_string("inbox/_ticket_controls.html", controls, request),
        }
    )
