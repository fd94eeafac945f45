"""Forms of the agent inbox pages: they parse and validate input, nothing more.

Every write still goes through ``inbox.actions``; these only turn request data
into the keyword arguments an action takes, with errors an agent can read.
"""

from __future__ import annotations

from django import forms
from django.forms.models import ModelChoiceIterator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from inbox.models import Channel, Queue, Ticket
from inbox.permissions import visible_queues
from inbox.selectors import TicketFilters

ACTIVE = "active"
ALL = "all"
STATUS_FILTER_CHOICES = [
    (ACTIVE, _("Active (new, open, pending)")),
    *Ticket.Status.choices,
    (ALL, _("All statuses")),
]
ASSIGNEE_FILTER_CHOICES = [("", _("Anyone")), ("me", _("Me")), ("none", _("Unassigned"))]
URGENCY_FILTER_CHOICES = [
    ("", _("Any")),
    ("urgent", _("Urgent (breached or at risk)")),
    ("breached", _("Breached")),
    ("at_risk", _("About to breach")),
]


class _PlainQueryChoices(ModelChoiceIterator):
    """Choices from one plain query. Django's default iterates with
    ``.iterator()``, which on PostgreSQL is a server-side cursor: DECLARE, FETCH
    and CLOSE, three round trips for a queue's few dozen agents on every ticket page."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for member in self.queryset.all():
            yield self.choice(member)


class _PlainChoiceField(forms.ModelChoiceField):
    iterator = _PlainQueryChoices


class TicketFilterForm(forms.Form):
    """The inbox list's filters, read from the query string (a GET form)."""

    status = forms.ChoiceField(choices=STATUS_FILTER_CHOICES, required=False)
    queue = _PlainChoiceField(queryset=Queue.objects.none(), required=False, empty_label=_("All my queues"))
    channel = forms.ChoiceField(choices=[("", _("Any channel")), *Channel.choices], required=False)
    assignee = forms.ChoiceField(choices=ASSIGNEE_FILTER_CHOICES, required=False)
    urgency = forms.ChoiceField(choices=URGENCY_FILTER_CHOICES, required=False)

    def __init__(self, data, *, user) -> None:
        super().__init__(data)
        # Only queues the user may see: a queue id from elsewhere is an error,
        # not a silent empty list that would confirm the queue exists.
        self.fields["queue"].queryset = visible_queues(user).order_by("name")
        self.fields["queue"].error_messages["invalid_choice"] = _("That queue is not one you can see.")

    def filters(self) -> TicketFilters:
        status = self.cleaned_data["status"] or ACTIVE
        queue = self.cleaned_data["queue"]
        return TicketFilters(
            status="" if status == ALL else status,
            queue=queue.pk if queue else None,
            channel=self.cleaned_data["channel"],
            assignee=self.cleaned_data["assignee"],
            urgency=self.cleaned_data["urgency"],
        )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply"),
        max_length=settings.UNISONO_MAX_MESSAGE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Write a reply before sending.")},
    )
    channel = forms.ChoiceField(label=_("Send on"), choices=Channel.choices)
    # The newest message the agent had on screen: a reply written before a
    # newer customer message is refused (StaleReply) instead of crossing it.
    last_seen_message_id = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    # Which playbook answer the reply uses (set by the composer's "insert");
    # empty: recorded as off-playbook (resolutions.actions.record_answer).
    resolution_version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    off_playbook_reason = forms.CharField(required=False, max_length=500, label=_("Why off-playbook"))
    exception_reason = forms.CharField(required=False, max_length=500, label=_("Exception: why (the customer is told it is a gesture)"))
    # X only: a public reply or a DM ("" answers the way the customer wrote).
    x_mode = forms.ChoiceField(
        label=_("On X, send as"),
        required=False,
        choices=[("", _("As the customer wrote")), ("public", _("Public reply")), ("dm", _("Direct message"))],
    )

    def __init__(self, *args, sendable: list[str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if sendable is not None:
            self.fields["channel"].choices = [
                (value, label if value in sendable else format_lazy(_("{channel} (not configured for sending)"), channel=label))
                for value, label in Channel.choices
            ]

    def reply_meta(self) -> dict | None:
        """The ``meta`` for inbox.actions.reply (the X reply mode, when chosen)."""
        x_mode = self.cleaned_data.get("x_mode")
        return {"x_mode": x_mode} if x_mode and self.cleaned_data.get("channel") == Channel.X else None


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note"),
        max_length=settings.UNISONO_MAX_MESSAGE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write the note before adding it.")},
    )


class AssignForm(forms.Form):
    assignee = _PlainChoiceField(queryset=get_user_model().objects.none(), required=False, empty_label=_("Unassigned"))

    def __init__(self, *args, ticket: Ticket, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The queue's members, plus the user (a supervisor may take any ticket).
        self.fields["assignee"].queryset = (
            get_user_model()
            .objects.filter(Q(inbox_queues=ticket.queue_id) | Q(pk=user.pk), is_active=True)
            .distinct()
            .order_by("first_name", "last_name", "username")
        )
        self.fields["assignee"].label_from_instance = lambda member: member.get_full_name() or member.get_username()
        self.fields["assignee"].error_messages["invalid_choice"] = _("Pick someone who works this ticket's queue.")


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Ticket.Status.choices)
