"""Turn a resolution version into the text an agent sends.

The variant is picked for the reply channel and the customer's language, then
the default channel in that language, then English (the channel, then the
default). Only the known placeholders are filled (never ``str.format``: a
playbook text must not reach attributes). A greeting for a customer whose first
name we don't know becomes a warm neutral one — never "Dear customer".

X and SMS renderings that are too long are *flagged*, never cut: a truncated
promise is worse than a long one, and the supervisor decides the wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from channels_app.phone.sms import sms_length
from channels_app.social import counting
from resolutions.models import ANSWER_CHANNELS

FALLBACK_LANGUAGE = "en"
PLACEHOLDERS = ("first_name", "ticket_ref", "agent_name")
PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")

# inbox.models.Channel value -> the answer channel that words it.
CHANNEL_VARIANT = {"web": "default", "email": "default", "x": "x", "sms": "sms", "phone": "phone"}

# A warm greeting without a name, per language (what "Hi {first_name}" becomes).
NEUTRAL_GREETING = {"en": "Hi there", "nl": "Hallo", "da": "Hej", "nb": "Hei", "de": "Hallo", "sv": "Hej"}
_GREETING_WITH_NAME_RE = re.compile(r"^(\s*)([^\W\d_]+(?: [^\W\d_]+)?) \{first_name\}", re.UNICODE)

# Typical values for previews and length checks: a long-ish first name, a
# six-digit ticket reference and an agent's full name.
SAMPLE_VALUES = {"first_name": "Annemarieke", "ticket_ref": "T-104242", "agent_name": "Sam Visser"}

X_LIMIT = counting.MAX_WEIGHTED_LENGTH
# A reply carries the customer's @handle (up to 15 characters, "@" and a space).
X_MENTION_RESERVE = 17
SMS_MAX_SEGMENTS = 2


@dataclass(frozen=True)
class LengthCheck:
    channel: str
    units: int  # weighted characters on X, characters on SMS
    limit: int
    segments: int = 1
    encoding: str = ""
    over: bool = False
    message: str = ""


@dataclass(frozen=True)
class Rendering:
    text: str
    language: str  # the language the text is in
    channel: str  # the answer channel whose wording was used
    requested_language: str
    requested_channel: str
    fell_back: bool
    length: LengthCheck | None = None
    problems: list[str] = field(default_factory=list)


def variant_for(answers: dict, *, channel: str, language: str) -> tuple[str, str, str]:
    """(text, language, answer channel) of the best variant in ``answers``."""
    wanted = CHANNEL_VARIANT.get(channel, channel if channel in ANSWER_CHANNELS else "default")
    candidates = [(language, wanted), (language, "default"), (FALLBACK_LANGUAGE, wanted), (FALLBACK_LANGUAGE, "default")]
    for candidate_language, candidate_channel in candidates:
        text = answers.get(candidate_language, {}).get(candidate_channel, "")
        if text:
            return text, candidate_language, candidate_channel
    # A version always has English default (import validates it); this is for
    # a playbook written in one other language only.
    for candidate_language, variants in answers.items():
        for candidate_channel in (wanted, "default", *ANSWER_CHANNELS):
            if variants.get(candidate_channel):
                return variants[candidate_channel], candidate_language, candidate_channel
    return "", language, wanted


def fill(template: str, *, language: str, first_name: str = "", ticket_ref: str = "", agent_name: str = "") -> str:
    """Fill the placeholders; without a first name, greet warmly without one."""
    first_name = first_name.strip()
    if not first_name:
        neutral = NEUTRAL_GREETING.get(language, NEUTRAL_GREETING[FALLBACK_LANGUAGE])
        template = _GREETING_WITH_NAME_RE.sub(lambda match: f"{match.group(1)}{neutral}", template, count=1)
        # Anywhere else ("Thanks, {first_name}!") the name just drops out.
        template = re.sub(r",?\s*\{first_name\}", "", template)
    values = {"first_name": first_name, "ticket_ref": ticket_ref, "agent_name": agent_name}
    return PLACEHOLDER_RE.sub(lambda match: values.get(match.group(1), match.group(0)), template)


def render(
    answers: dict,
    *,
    channel: str,
    language: str,
    first_name: str = "",
    ticket_ref: str = "",
    agent_name: str = "",
) -> Rendering:
    language = language or FALLBACK_LANGUAGE
    template, used_language, used_channel = variant_for(answers, channel=channel, language=language)
    text = fill(template, language=used_language, first_name=first_name, ticket_ref=ticket_ref, agent_name=agent_name)
    wanted = CHANNEL_VARIANT.get(channel, channel)
    length = check_length(text, channel=wanted)
    return Rendering(
        text=text,
        language=used_language,
        channel=used_channel,
        requested_language=language,
        requested_channel=wanted,
        fell_back=(used_language, used_channel) != (language, wanted),
        length=length,
        problems=[length.message] if length and length.over else [],
    )


def render_version(version, *, channel: str, language: str, first_name: str = "", ticket_ref: str = "", agent_name: str = "") -> Rendering:
    return render(
        version.answers, channel=channel, language=language,
        first_name=first_name, ticket_ref=ticket_ref, agent_name=agent_name,
    )


def exception_sentence(version, language: str) -> str:
    wording = version.exception_wording or {}
    return wording.get(language) or wording.get(FALLBACK_LANGUAGE) or DEFAULT_EXCEPTION_WORDING.get(
        language, DEFAULT_EXCEPTION_WORDING[FALLBACK_LANGUAGE]
    )


# Used only for a version whose playbook entry gives no wording of its own.
DEFAULT_EXCEPTION_WORDING = {
    "en": "Please know this is a one-off gesture from us, made especially for you.",
    "nl": "Dit is een eenmalig gebaar van onze kant, speciaal voor jou.",
    "da": "Det her er en særlig gestus fra vores side, kun denne ene gang.",
    "nb": "Dette er en spesiell gest fra oss, bare denne ene gangen.",
}


# --- length ----------------------------------------------------------------------------


def x_weighted_length(text: str) -> int:
    """The length X gives ``text`` (the X channel's own count: twitter-text's URL and weighting rules)."""
    return counting.weighted_length(text)


def sms_segments(text: str) -> tuple[str, int, int]:
    """(encoding, units, segments) the way a handset counts them (the SMS channel's own count)."""
    length = sms_length(text)
    return length.encoding, length.units, max(length.segments, 1)


def check_length(text: str, *, channel: str) -> LengthCheck | None:
    if channel == "x":
        units = x_weighted_length(text) + X_MENTION_RESERVE
        over = units > X_LIMIT
        message = f"Too long for X: {units} of {X_LIMIT} weighted characters (with the @mention)." if over else ""
        return LengthCheck(channel="x", units=units, limit=X_LIMIT, over=over, message=message)
    if channel == "sms":
        encoding, units, segments = sms_segments(text)
        over = segments > SMS_MAX_SEGMENTS
        message = (
            f"Long for SMS: {segments} segments ({units} {encoding} characters); keep it to {SMS_MAX_SEGMENTS}."
            if over else ""
        )
        limit = 160 if encoding == "GSM-7" else 70
        return LengthCheck(channel="sms", units=units, limit=limit, segments=segments, encoding=encoding, over=over, message=message)
    return None


def unknown_placeholders(text: str) -> list[str]:
    return sorted({name for name in PLACEHOLDER_RE.findall(text) if name not in PLACEHOLDERS})
