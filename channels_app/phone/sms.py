"""How long an SMS is, in the units the network bills: segments.

A message that fits the GSM 03.38 alphabet is sent in 7-bit characters: 160
per single message, 153 per segment when it is split (the rest carries the
concatenation header). The extension characters (€, [, ], {, }, \\, ~, ^, |)
take two. Anything else (emoji, most accented letters outside Western Europe)
switches the whole message to UCS-2: 70 UTF-16 units, 67 per segment. A
character's units stay in one segment, as Twilio splits them.
static/unisono/sms_counter.js does the same sums in the reply box.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("\f^{}\\[~]|€")


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # "GSM-7" | "UCS-2"
    units: int  # septets or UTF-16 code units
    segments: int
    per_segment: int
    remaining: int  # units left in the last segment


def sms_length(text: str) -> SmsLength:
    gsm = all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)
    if gsm:
        widths = [2 if char in GSM7_EXTENSION else 1 for char in text]
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        widths = [len(char.encode("utf-16-le")) // 2 for char in text]
        single, multi, encoding = 70, 67, "UCS-2"
    units = sum(widths)
    if units <= single:
        return SmsLength(encoding, units, 1 if units else 0, single, single - units)
    # A character is never split between two segments (an escape and the
    # character it escapes, the two halves of an emoji): a segment may end a
    # unit short, and the message then needs one segment more than units / 153.
    segments, used = 1, 0
    for width in widths:
        if used + width > multi:
            segments, used = segments + 1, 0
        used += width
    return SmsLength(encoding, units, segments, multi, multi - used)
