"""Care pages: the customer's rating page and unsubscribe link (no sign-in,
the signed link is the key), the supervisors' reports and privacy pages."""

from __future__ import annotations

import csv
import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from care import actions, links, selectors, sla
from care.actions import PreferenceChange
from care.forms import PreferencesForm
from care.models import CsatSurvey, ExitReason, PrivacyAudit
from channels_app.webform import links as ticket_links
from inbox import selectors as inbox_selectors
from inbox.actions import ActionError
from inbox.models import Customer
from inbox.views import staff_required
from resolutions.views import supervisor_required


def _ticket_from_link(token: str):
    try:
        link = ticket_links.read_ticket_link(token)
    except ticket_links.InvalidTicketLink:  # expired included: a rating needs a live link
        return None
    ticket = inbox_selectors.customer_ticket(link.ticket_id)
    if ticket is None or ticket.customer_id != link.customer_id:
        return None
    return ticket


@never_cache
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    ticket = _ticket_from_link(token)
    if ticket is None:
        return render(request, "webform/link_invalid.html", {"contact_url": reverse("webform:contact")}, status=403)
    survey = CsatSurvey.objects.filter(ticket=ticket).first()
    cancellation = actions.is_cancellation(ticket)
    error = ""
    if request.method == "POST" and not (survey and survey.rating):
        try:
            survey = actions.record_rating(
                ticket=ticket, rating=request.POST.get("rating"), comment=request.POST.get("comment", "")
            )
            if cancellation and request.POST.get("exit_reason"):
                actions.record_exit_reason(
                    ticket=ticket, reason=request.POST["exit_reason"], detail=request.POST.get("exit_detail", "")
                )
        except ActionError as problem:
            error = str(problem)
            survey = CsatSurvey.objects.filter(ticket=ticket).first()
        else:
            return redirect(request.path)
    return render(
        request,
        "care/rate.html",
        {
            "ticket": ticket,
            "survey": survey,
            "error": error,
            "ratings": range(1, 6),
            "cancellation": cancellation,
            "exit_reasons": ExitReason.Reason.choices,
            "ticket_url": f"/t/{token}/",
            "posted": request.POST if error else {},
        },
        status=400 if error else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    customer_id = links.read_unsubscribe(token)
    customer = Customer.objects.filter(pk=customer_id).first() if customer_id else None
    if customer is None:
        return render(request, "webform/link_invalid.html", {"contact_url": reverse("webform:contact")}, status=403)
    done = False
    if request.method == "POST":
        actions.opt_out(customer=customer)
        done = True
    return render(request, "care/unsubscribe.html", {"done": done or actions.opted_out(customer)})


# --- supervisors ------------------------------------------------------------------------


REPORT_CSV_HEADER = ["section", "label", "count", "median_minutes", "p90_minutes", "value"]


@require_GET
@supervisor_required
def reports(request: HttpRequest) -> HttpResponse:
    data = selectors.report()
    if request.GET.get("format") == "csv":
        return _report_csv(data)
    charts = {
        "volume": selectors.bars([(row["channel"], row["tickets"]) for row in data["volume"]]),
        "first_response": selectors.bars(
            [(row.label, round(row.median or 0)) for row in data["first_response_by_channel"]]
        ),
        "csat": selectors.bars([(row["label"], row["average"]) for row in data["csat"]["by_channel"]]),
    }
    return render(request, "care/reports.html", {"data": data, "charts": charts})


def _report_csv(data: dict) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="unisono-report.csv"'
    writer = csv.writer(response)
    writer.writerow(REPORT_CSV_HEADER)
    for row in data["volume"]:
        writer.writerow(["volume", row["channel"], row["tickets"], "", "", row["inbound_messages"]])
    for section in ("first_response_by_channel", "first_response_by_queue", "resolution_by_channel", "resolution_by_queue"):
        for row in data[section]:
            writer.writerow([section, row.label, row.count, _num(row.median), _num(row.p90), ""])
    writer.writerow(["sla", "attainment_pct", data["sla"]["measured"], "", "", _num(data["sla"]["pct"])])
    for group in ("by_channel", "by_agent", "by_topic"):
        for row in data["csat"][group]:
            writer.writerow([f"csat_{group}", row["label"], row["answers"], "", "", row["average"]])
    for row in data["exit_reasons"]:
        writer.writerow(["exit_reason", row["key"], row["count"], "", "", ""])
    return response


def _num(value) -> str:
    return "" if value is None else f"{value:.1f}" if isinstance(value, float) else str(value)


@require_POST
@supervisor_required
def check_now(request: HttpRequest) -> HttpResponse:
    """Run the SLA check at once (beat runs it every minute anyway)."""
    result = sla.check_all()
    messages.success(request, _("Checked %(checked)d tickets; %(alerts)d new alerts.") % result)
    return redirect("care:reports")


def _privacy_page(request: HttpRequest, customer: Customer, *, form: PreferencesForm | None = None, status: int = 200) -> HttpResponse:
    current = selectors.preferences(customer)
    tier, opted_out = current["tier"], current["opted_out"]
    if form is None:
        form = PreferencesForm(initial={key: current[key] for key in ("tier", "opted_out", "consent_follow_up")})
    return render(
        request,
        "care/customer_privacy.html",
        {
            "customer": customer,
            "identities": customer.identities.order_by("kind", "value"),
            "tickets": customer.tickets.order_by("-created_at")[:50],
            "audits": PrivacyAudit.objects.filter(customer_id=customer.pk).select_related("actor")[:50],
            "opted_out": opted_out,
            "tier": tier,
            "form": form,
        },
        status=status,
    )


@require_GET
@supervisor_required
def customer_privacy(request: HttpRequest, pk: int) -> HttpResponse:
    return _privacy_page(request, get_object_or_404(Customer, pk=pk))


@require_POST
@supervisor_required
def customer_preferences(request: HttpRequest, pk: int) -> HttpResponse:
    """Tier, opt-out and consent from the privacy page; each change audited."""
    customer = get_object_or_404(Customer, pk=pk)
    form = PreferencesForm(request.POST)
    if not form.is_valid():
        return _privacy_page(request, customer, form=form, status=400)
    try:
        changed = actions.update_preferences(customer=customer, change=form.change(), actor=request.user, via="ui")
    except ActionError as problem:
        form.add_error(None, str(problem))
        return _privacy_page(request, customer, form=form, status=400)
    messages.success(request, _("Preferences saved.") if changed else _("Nothing changed."))
    return redirect("care:customer", pk=pk)


@require_POST
@staff_required
def ticket_consent(request: HttpRequest, pk: int) -> HttpResponse:
    """An agent records that the customer agreed to a follow-up on the phone
    (SMS and X customers have no form to tick it on)."""
    ticket = inbox_selectors.visible_ticket(user=request.user, pk=pk)
    if ticket is None:
        raise Http404("No such ticket.")
    if request.POST.get("consent_follow_up") != "yes":
        messages.error(request, _("Tick that the customer agreed before recording it."))
        return redirect("inbox:ticket", pk=pk)
    actions.update_preferences(
        customer=ticket.customer, change=PreferenceChange(consent_follow_up=True, consent_source="phone"),
        actor=request.user, via="ui",
    )
    messages.success(request, _("Recorded: the customer agreed to a follow-up."))
    return redirect("inbox:ticket", pk=pk)


@require_POST
@supervisor_required
def customer_export(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    data = actions.export_customer(customer=customer, actor=request.user, via="ui")
    response = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="customer-{pk}.json"'
    return response


@require_POST
@supervisor_required
def customer_erase(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    if request.POST.get("confirm") != "ERASE":
        messages.error(request, _("Type ERASE to confirm: erasing cannot be undone."))
        return redirect("care:customer", pk=pk)
    actions.erase_customer(customer=customer, actor=request.user, via="ui")
    messages.success(request, _("The customer's personal data was erased."))
    return redirect("care:customer", pk=pk)


