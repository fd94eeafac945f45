"""Counting a tweet's length as X does (twitter-text, configuration v3).

Each code point weighs 200 (two characters) unless it lies in the ranges X
counts as one (Latin, Greek, Cyrillic, Hebrew, Arabic, Devanagari... up to
U+10FF, and some punctuation: U+2000-200D, U+2010-201F, U+2032-2037). An emoji
(with its modifiers, joiners and variation selectors) counts two. Every URL
counts 23, whatever its length, because X shortens it to a t.co link. Text is
NFC-normalised first. The JavaScript hint (static/unisono/x_counter.js) mirrors
this; the server's count is the one that refuses.
"""

from __future__ import annotations

import re
import unicodedata

MAX_WEIGHTED_LENGTH = 280
SCALE = 100
DEFAULT_WEIGHT = 200
URL_WEIGHT = 23 * SCALE
ONE_CHARACTER_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))

# A pragmatic subset of twitter-text's URL extraction: links with a scheme,
# and bare domains on common TLDs ("example.com/path"), never the domain of an
# email address (X doesn't link those).
_TLDS = (
    "com|org|net|edu|gov|info|biz|io|co|app|dev|ly|me|tv|eu|nl|be|de|dk|no|se|fi|fr|es|it|uk|ie|at|ch|pl|pt|"
    "us|ca|au|nz|jp|cn|in|br|ru|shop|online|site|xyz"
)
URL_PATTERN = re.compile(
    r"(?<![\w@.\-/])(?:https?://[^\s<>\"]+|(?:www\.)?(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+(?:" + _TLDS + r")\b(?![@.\-]\w)(?:/[^\s<>\"]*)?)",
    re.IGNORECASE,
)
_TRAILING_PUNCTUATION = ".,;:!?'\")]}"

_ZWJ = 0x200D
_VARIATION_SELECTORS = (0xFE0E, 0xFE0F)
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_KEYCAP = 0x20E3
_TAGS = range(0xE0020, 0xE0080)
_REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)


def _is_emoji_base(code_point: int) -> bool:
    return (
        0x1F000 <= code_point <= 0x1FAFF
        or 0x2600 <= code_point <= 0x27BF
        or 0x2300 <= code_point <= 0x23FF
        or 0x2B00 <= code_point <= 0x2BFF
        or code_point in (0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299)
    )


def _char_weight(code_point: int) -> int:
    for start, end in ONE_CHARACTER_RANGES:
        if start <= code_point <= end:
            return SCALE
    return DEFAULT_WEIGHT


def _text_weight(text: str) -> int:
    code_points = [ord(character) for character in text]
    total = 0
    index = 0
    while index < len(code_points):
        code_point = code_points[index]
        following = code_points[index + 1] if index + 1 < len(code_points) else None
        keycap = chr(code_point) in "0123456789#*" and following in (*_VARIATION_SELECTORS, _KEYCAP)
        emoji_presentation = following == 0xFE0F
        if _is_emoji_base(code_point) or keycap or emoji_presentation:
            index = _end_of_emoji(code_points, index)
            total += DEFAULT_WEIGHT
            continue
        total += _char_weight(code_point)
        index += 1
    return total


def _end_of_emoji(code_points: list[int], index: int) -> int:
    """Index just past the emoji sequence starting at ``index``."""
    first = code_points[index]
    index += 1
    if first in _REGIONAL_INDICATORS and index < len(code_points) and code_points[index] in _REGIONAL_INDICATORS:
        return index + 1  # a flag: two regional indicators
    while index < len(code_points):
        code_point = code_points[index]
        if code_point in _VARIATION_SELECTORS or code_point in _SKIN_TONES or code_point == _KEYCAP or code_point in _TAGS:
            index += 1
        elif code_point == _ZWJ and index + 1 < len(code_points):
            index += 2  # joiner plus the next emoji (family, profession...)
        else:
            break
    return index


def urls(text: str) -> list[str]:
    found = []
    for match in URL_PATTERN.finditer(unicodedata.normalize("NFC", text)):
        found.append(match.group(0).rstrip(_TRAILING_PUNCTUATION))
    return found


def weighted_length(text: str) -> int:
    """The length X gives ``text``, in characters (a 280-character tweet is 280)."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    position = 0
    for match in URL_PATTERN.finditer(text):
        url = match.group(0).rstrip(_TRAILING_PUNCTUATION)
        total += _text_weight(text[position : match.start()]) + URL_WEIGHT
        position = match.start() + len(url)
    total += _text_weight(text[position:])
    return -(-total // SCALE)  # round up: half a character still doesn't fit


def fits(text: str) -> bool:
    return weighted_length(text) <= MAX_WEIGHTED_LENGTH
