"""Forms of the supervisors' care pages: they parse input, the actions decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from care.actions import PreferenceChange
from care.models import Tier


class PreferencesForm(forms.Form):
    """A customer's tier, opt-out and follow-up consent on the privacy page."""

    tier = forms.ChoiceField(label=_("Tier"), choices=Tier.choices)
    opted_out = forms.BooleanField(label=_("Opted out of surveys and follow-ups"), required=False)
    consent_follow_up = forms.BooleanField(label=_("Agreed to follow-ups"), required=False)

    def change(self) -> PreferenceChange:
        return PreferenceChange(
            tier=self.cleaned_data["tier"],
            opted_out=self.cleaned_data["opted_out"],
            consent_follow_up=self.cleaned_data["consent_follow_up"],
        )
