"""Customer-facing pages: the landing page, the contact and call-me-back forms,
their thank-you pages and the customer's own ticket page.

Nobody signs in here. Form pages are never cached: a form restored from the
browser's cache would carry an old submission id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from channels_app.base import InboundMessage
from channels_app.webform import inbound as web_inbound
from channels_app.webform import links, throttle
from channels_app.webform.forms import CallbackForm, ContactForm, PublicForm, ReplyForm
from inbox import actions, selectors
from inbox.models import Channel, Message, Ticket

TOO_MANY = gettext_lazy(
    "You've sent several requests in a short time. Please try again in an hour, or call us."
)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@never_cache
@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _form_page(request, "contact", ContactForm(), submission_id=uuid.uuid4())
    return _submit(
        request,
        "contact",
        ContactForm(request.POST),
        build=web_inbound.contact_inbound,
        limits=lambda cleaned: throttle.form_limits(
            ip=_client_ip(request), contacts=[cleaned["email"], cleaned["phone"]]
        ),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def callback(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _form_page(request, "callback", CallbackForm(), submission_id=uuid.uuid4())
    return _submit(
        request,
        "callback",
        CallbackForm(request.POST),
        build=web_inbound.callback_inbound,
        limits=lambda cleaned: throttle.form_limits(
            ip=_client_ip(request), contacts=[cleaned["phone"]], callback_number=cleaned["phone"]
        ),
    )


def _client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client wants it to be
    # unless a trusted proxy rewrites REMOTE_ADDR for us.
    return request.META.get("REMOTE_ADDR", "")


def _form_page(request: HttpRequest, kind: str, form: PublicForm, *, submission_id, status: int = 200) -> HttpResponse:
    return render(
        request, f"webform/{kind}.html", {"form": form, "submission_id": submission_id}, status=status
    )


def _submit(
    request: HttpRequest,
    kind: str,
    form: PublicForm,
    *,
    build: Callable[[dict], InboundMessage],
    limits: Callable[[dict], list[throttle.Limit]],
) -> HttpResponse:
    if form.is_bot():
        # Look exactly like success, store nothing, tell the bot nothing.
        return render(request, "webform/thanks.html", {"kind": kind, "generic": True})
    if not form.is_valid():
        return _form_page(request, kind, form, submission_id=form.cleaned_data.get("submission_id") or uuid.uuid4())

    inbound = build(form.cleaned_data)
    existing = selectors.message_by_provider_id(Channel.WEB, inbound.provider_id)
    if existing is not None:
        if existing.body == inbound.body:
            # A double click or a browser resend: the same thank-you page, and
            # it doesn't count against anyone's limits.
            return redirect(_thanks_url(kind, existing))
        # Same page sent again with something new (the Back button): never
        # drop the new text silently, never mix it up with the first one.
        form.add_error(None, _("We already received a message from this page. To send this one too, press Send again."))
        return _form_page(request, kind, form, submission_id=uuid.uuid4())

    if not throttle.allow(limits(form.cleaned_data)):
        form.add_error(None, TOO_MANY)
        return _form_page(request, kind, form, submission_id=form.cleaned_data["submission_id"], status=429)

    try:
        # Looked up above (and not found): receive needn't look again.
        received = actions.receive(inbound, unseen=True)
    except actions.ActionError as error:
        form.add_error(None, str(error))
        return _form_page(request, kind, form, submission_id=form.cleaned_data["submission_id"])
    return redirect(_thanks_url(kind, received.message))


def _thanks_url(kind: str, message: Message) -> str:
    callback = message.meta.get("callback") or {}
    token = links.make_thanks_token(
        message.ticket,
        started_ticket=selectors.message_started_ticket(message),
        # Issued as of the submission: a resend gets the very same URL.
        issued_at=message.created_at,
        callback_window=callback.get("window") or "",
        callback_at=callback.get("at") or "",
    )
    return reverse(f"webform:{kind}_thanks", kwargs={"token": token})


@never_cache
@require_GET
def thanks(request: HttpRequest, token: str, kind: str) -> HttpResponse:
    try:
        link = links.read_thanks_token(token)
    except links.ExpiredTicketLink as expired:
        return _link_expired(request, expired.ticket_id)
    except links.InvalidTicketLink:
        return _link_invalid(request)
    ticket = selectors.customer_ticket(link.ticket_id)
    if ticket is None or ticket.customer_id != link.customer_id:
        return _link_invalid(request)
    # The link to read the conversation is only handed out when this
    # submission opened the ticket. A form can name anyone's email address;
    # if it joined an existing conversation, showing a link here would let a
    # stranger read it. The real customer has that link from before.
    customer_url = ""
    if link.started_ticket:
        customer_url = links.customer_ticket_url(ticket)
    return render(
        request,
        "webform/thanks.html",
        {
            "kind": kind,
            "ticket": ticket,
            "customer_url": customer_url,
            "callback_window": link.callback_window,
            "callback_at": parse_datetime(link.callback_at) if link.callback_at else None,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def ticket_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = links.read_ticket_link(token)
    except links.ExpiredTicketLink as expired:
        return _link_expired(request, expired.ticket_id)
    except links.InvalidTicketLink:
        return _link_invalid(request)
    ticket = selectors.customer_ticket(link.ticket_id)
    if ticket is None or ticket.customer_id != link.customer_id:
        return _link_invalid(request)

    if request.method == "POST":
        form = ReplyForm(request.POST)
        if form.is_valid():
            response = _reply(request, ticket, form)
            if response is not None:
                return response
        reply_id = form.cleaned_data.get("reply_id") or uuid.uuid4()
    else:
        form = ReplyForm()
        reply_id = uuid.uuid4()
    return render(
        request,
        "webform/ticket.html",
        {
            "ticket": ticket,
            "thread": selectors.customer_thread(ticket),
            "form": form,
            "reply_id": reply_id,
            "contact_url": reverse("webform:contact"),
        },
    )


def _reply(request: HttpRequest, ticket: Ticket, form: ReplyForm) -> HttpResponse | None:
    """Store the customer's reply and redirect, or put an error on the form and return None."""
    identity = selectors.customer_identity(ticket.customer)
    if identity is None:
        form.add_error(None, _("We can't take replies on this conversation here. Please use the contact form."))
        return None
    inbound = web_inbound.link_reply_inbound(
        ticket=ticket, identity=identity, reply_id=form.cleaned_data["reply_id"], body=form.cleaned_data["body"]
    )
    try:
        received = actions.receive(inbound)
    except actions.ActionError as error:
        form.add_error(None, str(error))
        return None
    if received.created:
        messages.success(request, _("Thank you, we've got your message. We'll answer you here and by email."))
    return redirect(request.path)


def _link_invalid(request: HttpRequest) -> HttpResponse:
    return render(request, "webform/link_invalid.html", {"contact_url": reverse("webform:contact")}, status=403)


def _link_expired(request: HttpRequest, ticket_id: int | None) -> HttpResponse:
    reference = Ticket(pk=ticket_id).reference if ticket_id else ""
    return render(
        request,
        "webform/link_expired.html",
        {"reference": reference, "contact_url": reverse("webform:contact"), "callback_url": reverse("webform:callback")},
        status=410,
    )
