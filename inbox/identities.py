"""Normalising the ways customers reach us, so one person is one identity."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email


class InvalidIdentity(ValueError):
    pass


def normalise_phone(raw: str, region: str | None = None) -> str:
    """E.164 (``+31612345678``) or InvalidIdentity with a message a person can act on."""
    try:
        number = phonenumbers.parse(raw, region or settings.UNISONO_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidIdentity("This doesn't look like a phone number. Include the country code, e.g. +31 6 1234 5678.") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentity("This phone number isn't valid. Check the digits and the country code.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    value = raw.strip().lower()
    try:
        validate_email(value)
    except ValidationError:
        raise InvalidIdentity("This email address isn't valid.") from None
    return value


def normalise_x_user_id(raw: str) -> str:
    value = raw.strip()
    if not value.isdigit():
        raise InvalidIdentity("An X user id is numeric.")
    return value


NORMALISERS = {"phone": normalise_phone, "email": normalise_email, "x": normalise_x_user_id}


def normalise(kind: str, raw: str) -> str:
    try:
        normaliser = NORMALISERS[kind]
    except KeyError:
        raise InvalidIdentity(f"Unknown identity kind {kind!r}.") from None
    return normaliser(raw)
