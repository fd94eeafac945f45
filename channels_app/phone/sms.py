"""How long an SMS is, in the units the network bills: segments.

A message that fits the GSM 03.38 alphabet is sent in 7-bit characters: 160
per single message, 153 per segment when it is split (the rest carries the
concatenation header). The extension characters (€, [, ], {, }, \\, ~, ^, |)
take two. Anything else (emoji, most accented letters outside Western Europe)
switches the whole message to UCS-2: 70 UTF-16 units, 67 per segment.
static/unisono/sms_counter.js does the same sums in the reply box.
"""

from __future__ import annotations

import math
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
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text):
        units = sum(2 if char in GSM7_EXTENSION else 1 for char in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    if units <= single:
        return SmsLength(encoding, units, 1 if units else 0, single, single - units)
    segments = math.ceil(units / multi)
    return SmsLength(encoding, units, segments, multi, segments * multi - units)
