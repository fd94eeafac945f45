"""The agent's Log call form: a phone answer recorded like a written one."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from inbox.models import Message

DIRECTION_CHOICES = [(Message.Direction.OUT, _("I called the customer")), (Message.Direction.IN, _("The customer called"))]
OUTCOME_CHOICES = [
    ("answered", _("We spoke")),
    ("no-answer", _("No answer")),
    ("left-voicemail", _("I left a voicemail")),
    ("busy", _("Line busy")),
    ("wrong-number", _("Wrong number")),
]


class LogCallForm(forms.Form):
    submission_id = forms.UUIDField(
        widget=forms.HiddenInput, error_messages={"required": _("Reload the page and try again."), "invalid": _("Reload the page and try again.")}
    )
    callback = forms.IntegerField(required=False, widget=forms.HiddenInput)
    direction = forms.ChoiceField(label=_("Who called"), choices=DIRECTION_CHOICES, widget=forms.RadioSelect, initial=Message.Direction.OUT)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOME_CHOICES, initial="answered")
    minutes = forms.IntegerField(label=_("Duration (minutes)"), required=False, min_value=0, max_value=24 * 60,
                                 widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    seconds = forms.IntegerField(label=_("and seconds"), required=False, min_value=0, max_value=59,
                                 widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    summary = forms.CharField(
        label=_("What was said and agreed"),
        required=False,
        max_length=settings.UNISONO_MAX_MESSAGE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Write it for the colleague who takes the next contact: what the customer asked, what you promised."),
    )

    # The answer given on the call, as on a written reply (inbox.forms.ReplyForm):
    # choices are the playbook's live versions, set by the view (``playbook``).
    resolution_version = forms.TypedChoiceField(
        label=_("Playbook answer given"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[],
        error_messages={
            "invalid_choice": _("That playbook answer was updated or retired since the form was opened: choose it again."),
        },
        help_text=_("For a call you made where you gave the customer an answer. Leave empty if no playbook answer fits."),
    )
    exception_reason = forms.CharField(
        label=_("Exception to that answer: why?"), required=False, max_length=500,
        help_text=_("Tell the customer on the call it is a one-off gesture."),
    )
    off_playbook_reason = forms.CharField(label=_("No playbook answer fits: why?"), required=False, max_length=500)

    def __init__(self, *args, playbook: list | None = None, suggested: int | None = None, language: str = "en", **kwargs) -> None:
        """``playbook``: topics with their ``active`` resolutions
        (resolutions.selectors.playbook_topics); ``suggested``: a version id
        to mark as the suggestion for the customer's latest message."""
        super().__init__(*args, **kwargs)
        choices: list = [("", "— none —")]
        for topic in playbook or []:
            options = [
                (
                    resolution.current_version_id,
                    f"{resolution.title} (suggested)" if resolution.current_version_id == suggested else resolution.title,
                )
                for resolution in topic.active
            ]
            if options:
                choices.append((topic.name_in(language), options))
        self.fields["resolution_version"].choices = choices

    def clean(self) -> dict:
        cleaned = super().clean()
        minutes, seconds = cleaned.get("minutes"), cleaned.get("seconds")
        cleaned["duration_seconds"] = None if minutes is None and seconds is None else (minutes or 0) * 60 + (seconds or 0)
        if cleaned.get("outcome") == "answered" and not (cleaned.get("summary") or "").strip():
            self.add_error("summary", _("Write down what was said: the next colleague reads it instead of the call."))
        return cleaned
