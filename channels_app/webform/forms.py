"""The public forms: contact, call-me-back, and the reply box on the customer's
ticket page. No account needed; only what we need to answer is required.

Each form carries a hidden submission id (a uuid made when the page is served)
that becomes the message's provider id, so the same submission posted twice
is one message. The ``website`` field is a honeypot: hidden from people by
CSS (bots skip ``type=hidden`` fields but fill visible-looking ones).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inbox.identities import InvalidIdentity, normalise_email, normalise_phone

RELOAD_FORM = _("Please reload the form and try again.")
CALLBACK_MAX_DAYS_AHEAD = 14


def _message_field(*, label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=settings.UNISONO_MAX_MESSAGE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 7}),
        error_messages={
            "required": _("Please tell us what happened, so we can help."),
            "max_length": _(
                "Your message is too long: please keep it under %(limit_value)s characters (it has %(show_value)s)."
            ),
        },
    )


def _submission_id_field() -> forms.UUIDField:
    return forms.UUIDField(
        widget=forms.HiddenInput, error_messages={"required": RELOAD_FORM, "invalid": RELOAD_FORM}
    )


class PublicForm(forms.Form):
    submission_id = _submission_id_field()
    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def is_bot(self) -> bool:
        """A person never sees the honeypot, so anything in it came from a bot."""
        return bool((self.data.get("website") or "").strip())

    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone", "").strip()
        if not raw:
            return ""
        try:
            return normalise_phone(raw)
        except InvalidIdentity as error:
            raise forms.ValidationError(str(error)) from None


class ContactForm(PublicForm):
    name = forms.CharField(label=_("Your name"), required=False, max_length=200,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.CharField(label=_("Email address"), required=False, max_length=254,
                            widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(label=_("Phone number"), required=False, max_length=40,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
    consent_follow_up = forms.BooleanField(
        label=_("You may email me afterwards to check everything is working"), required=False, initial=False
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Built per instance: the limit is a setting (and tests change it).
        self.fields["message"] = _message_field(
            label=_("How can we help?"),
            help_text=_("Tell us in your own words. A reference or account number helps, if you have one."),
        )
        self.order_fields(["name", "email", "phone", "message", "consent_follow_up"])

    def clean_email(self) -> str:
        raw = self.cleaned_data.get("email", "").strip()
        if not raw:
            return ""
        try:
            return normalise_email(raw)
        except InvalidIdentity as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self) -> dict:
        cleaned = super().clean()
        has_own_errors = "email" in self.errors or "phone" in self.errors
        if not has_own_errors and not cleaned.get("email") and not cleaned.get("phone"):
            raise forms.ValidationError(
                _("Please give us an email address or a phone number (or both), so we can answer you."),
                code="no_contact",
            )
        return cleaned


class CallbackForm(PublicForm):
    class Window:
        ASAP = "asap"
        OFFICE = "office"
        EVENING = "evening"
        AT = "at"

    WINDOW_CHOICES = [
        (Window.ASAP, _("within 90 minutes")),
        (Window.OFFICE, _("during office hours")),
        (Window.EVENING, _("in the evening, after 20:00")),
        (Window.AT, _("at a time I choose")),
    ]

    phone = forms.CharField(
        label=_("Your phone number"),
        max_length=40,
        help_text=_("Include the country code if you're not in the Netherlands, e.g. +32 470 12 34 56."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        error_messages={"required": _("Please give us the number to call.")},
    )
    name = forms.CharField(label=_("Your name"), required=False, max_length=200,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    topic = forms.CharField(label=_("What is it about?"), required=False, max_length=300,
                            help_text=_("A few words help us get the right person to call you."))
    window = forms.ChoiceField(
        label=_("When should we call?"),
        choices=WINDOW_CHOICES,
        initial=Window.ASAP,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose when we should call you.")},
    )
    preferred_at = forms.DateTimeField(
        label=_("Date and time"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": _("Please enter a date and time, e.g. 2025-05-14 15:30.")},
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("window") != self.Window.AT:
            cleaned["preferred_at"] = None
            self.errors.pop("preferred_at", None)
            return cleaned
        preferred_at: datetime | None = cleaned.get("preferred_at")
        if preferred_at is None:
            if "preferred_at" not in self.errors:
                self.add_error("preferred_at", _("Please choose the date and time we should call you."))
            return cleaned
        now = timezone.now()
        if preferred_at <= now:
            self.add_error("preferred_at", _("Please choose a time in the future."))
        elif preferred_at > now + timedelta(days=CALLBACK_MAX_DAYS_AHEAD):
            self.add_error(
                "preferred_at", _("Please choose a time within the next %(days)s days.") % {"days": CALLBACK_MAX_DAYS_AHEAD}
            )
        return cleaned


class ReplyForm(forms.Form):
    reply_id = _submission_id_field()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"] = _message_field(label=_("Your reply"))
        self.fields["body"].error_messages["required"] = _("Please write a few words before sending.")
