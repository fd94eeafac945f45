"""Counting a tweet's length as X does (twitter-text, configuration v3).

Each code point weighs 200 (two characters) unless it lies in the ranges X
counts as one (Latin, Greek, Cyrillic, Hebrew, Arabic, Devanagari... up to
U+10FF, and some punctuation: U+2000-200D, U+2010-201F, U+2032-2037). An emoji
(with its modifiers, joiners and variation selectors) counts two. Every URL
counts 23, whatever its length, because X shortens it to a t.co link. Text is
NFC-normalised first.

URLs are found as twitter-text 3.1 finds them: ``http(s)://`` or no scheme, a
domain whose last label is one of twitter-text's TLDs (vendored in
``twitter_text_tlds.json``: ``x.ai``, ``foo.tech`` and ``bit.ly`` are links,
``foo.baz`` and ``file.tar.bz2`` are not), an optional port, path and query
with twitter-text's character classes (so a trailing full stop is not part of
the link), never after a letter, digit, ``@``, ``$`` or ``#`` (e-mail
addresses, mentions, hashtags, cashtags). Not ported: the 4096-character
limit after punycode-encoding the domain (only the plain length is checked).

The JavaScript hint (static/unisono/x_counter.js) runs the very same patterns,
which ``js_data()`` writes to static/unisono/x_url_data.js; the server's count
is the one that refuses. After changing a pattern or the TLD list, regenerate:
``python -m channels_app.social.counting > static/unisono/x_url_data.js``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

MAX_WEIGHTED_LENGTH = 280
SCALE = 100
DEFAULT_WEIGHT = 200
URL_WEIGHT = 23 * SCALE
ONE_CHARACTER_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
MAX_URL_LENGTH = 4096
MAX_TCO_SLUG_LENGTH = 40

_TLD_DATA = json.loads((Path(__file__).with_name("twitter_text_tlds.json")).read_text(encoding="utf-8"))
# Where the TLD alternation goes in the patterns below (one list, shipped once to the browser).
TLD_SLOT = "{{TLD}}"
TLDS = (
    r"(?:(?:" + "|".join(_TLD_DATA["generic"]) + r")(?=[^0-9a-zA-Z@+\-]|$))"
    + r"|(?:(?:" + "|".join(_TLD_DATA["country"]) + r")(?=[^0-9a-zA-Z@+\-]|$))"
)

# Character classes of twitter-text (js/src/regexp/), written as escapes that
# Python's re and JavaScript's RegExp read alike.
_LATIN_ACCENTS = (r"\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b"
                  r"\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff")
_CYRILLIC = r"\u0400-\u04ff"
_DIRECTIONAL = r"\u202a-\u202e\u061c\u200e\u200f\u2066\u2067\u2068\u2069"
_INVALID = r"\ufffe\ufeff\uffff"
_SPACES = r"\u0009-\u000d\u0020\u0085\u00a0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_PUNCT = r"\!\'\#\%\&\(\)\*\+\,\\\-\.\/\:\;\<\=\>\?\@\[\]\^\_\{\|\}\~\$"
_DOMAIN_CHAR = "[^" + _PUNCT + _SPACES + _INVALID + _DIRECTIONAL + "]"
_PRECEDING = r"(?:[^a-z0-9@\uff20\$\#\uff03" + _INVALID + "]|[" + _DIRECTIONAL + "]|^)"
_SUBDOMAIN = r"(?:(?:" + _DOMAIN_CHAR + r"(?:[_\-]|" + _DOMAIN_CHAR + r")*)?" + _DOMAIN_CHAR + r"\.)"
_DOMAIN_NAME = r"(?:(?:" + _DOMAIN_CHAR + r"(?:\-|" + _DOMAIN_CHAR + r")*)?" + _DOMAIN_CHAR + r"\.)"
_PUNYCODE = r"(?:xn\-\-[\-0-9a-z]+)"
_DOMAIN = r"(?:" + _SUBDOMAIN + "*" + _DOMAIN_NAME + r"(?:" + TLD_SLOT + "|" + _PUNYCODE + r"))"
_PATH_CHAR = r"[a-z" + _CYRILLIC + r"0-9\!\*\'\;\:\=\+\,\.\$\/\%\#\[\]\-\u2013\_\~\@\|\&" + _LATIN_ACCENTS + "]"
_BALANCED_PARENS = (r"\((?:" + _PATH_CHAR + "+|(?:" + _PATH_CHAR + r"*\(" + _PATH_CHAR + r"+\)" + _PATH_CHAR + r"*))\)")
_PATH_END = r"(?:[\+\-a-z" + _CYRILLIC + r"0-9\=\_\#\/" + _LATIN_ACCENTS + "]|(?:" + _BALANCED_PARENS + "))"
_PATH = (r"(?:(?:" + _PATH_CHAR + "*(?:" + _BALANCED_PARENS + _PATH_CHAR + "*)*" + _PATH_END + ")"
         r"|(?:\@" + _PATH_CHAR + r"+\/))")
_QUERY = r"(?:\?[a-z0-9\!\?\*\'\@\(\)\;\:\&\=\+\$\/\%\#\[\]\-\_\.\,\~\|]*[a-z0-9\-\_\&\=\#\/])"
# Groups as in twitter-text's extractUrl: 1 all, 2 preceding character, 3 URL,
# 4 scheme, 5 domain, 6 port, 7 path, 8 query.
URL_SOURCE = ("((" + _PRECEDING + ")((https?:\\/\\/)?(" + _DOMAIN + r")(?::([0-9]+))?(\/" + _PATH + "*)?(" + _QUERY + ")?))")
# Without a scheme, only the ASCII (and Latin-accented) domain inside what matched is the link.
ASCII_DOMAIN_SOURCE = r"(?:(?:[\-a-z0-9" + _LATIN_ACCENTS + r"]+)\.)+(?:" + TLD_SLOT + "|" + _PUNYCODE + ")"
TCO_SOURCE = (r"^https?:\/\/t\.co\/([a-z0-9]+)(?:\?[a-z0-9\!\?\*\'\@\(\)\;\:\&\=\+\$\/\%\#\[\]\-\_\.\,\~\|]*"
              r"[a-z0-9\-\_\&\=\#\/])?")
NO_SCHEME_BAD_PRECEDING_SOURCE = r"[\-\_\.\/]$"

URL_PATTERN = re.compile(URL_SOURCE.replace(TLD_SLOT, TLDS), re.IGNORECASE)
_ASCII_DOMAIN = re.compile(ASCII_DOMAIN_SOURCE.replace(TLD_SLOT, TLDS), re.IGNORECASE)
_TCO = re.compile(TCO_SOURCE, re.IGNORECASE)
_NO_SCHEME_BAD_PRECEDING = re.compile(NO_SCHEME_BAD_PRECEDING_SOURCE)

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


def url_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each URL in ``text`` (already normalised), in order:
    twitter-text's extractUrlsWithIndices, step by step."""
    spans: list[tuple[int, int]] = []
    for match in URL_PATTERN.finditer(text):
        before, url, scheme, domain, path = match.group(2, 3, 4, 5, 7)
        start, end = match.start(3), match.end(3)
        # As twitter-text's isValidUrl: the protocol (or "https://") plus the URL as written, scheme included.
        if len(scheme or "https://") + len(url) > MAX_URL_LENGTH:
            continue
        if not scheme:
            if _NO_SCHEME_BAD_PRECEDING.search(before or ""):
                continue  # "-foo.com", "_foo.com", "a.foo.com" seen from inside, "/foo.com"
            found = [(start + ascii.start(), start + ascii.end()) for ascii in _ASCII_DOMAIN.finditer(domain)]
            if not found:
                continue
            if path:  # the path (and query) belong to the last domain found
                found[-1] = (found[-1][0], end)
            spans += found
        else:
            tco = _TCO.match(url)
            if tco:
                if len(tco.group(1)) > MAX_TCO_SLUG_LENGTH:
                    continue
                end = start + tco.end()  # nothing glued to a t.co link belongs to it
            spans.append((start, end))
    return spans


def urls(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", text)
    return [text[start:end] for start, end in url_spans(text)]


def without_urls(text: str) -> str:
    """``text`` with each URL replaced by a space."""
    text = unicodedata.normalize("NFC", text)
    parts, position = [], 0
    for start, end in url_spans(text):
        parts += [text[position:start], " "]
        position = end
    return "".join(parts) + text[position:]


def weighted_length(text: str) -> int:
    """The length X gives ``text``, in characters (a 280-character tweet is 280)."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    position = 0
    for start, end in url_spans(text):
        total += _text_weight(text[position:start]) + URL_WEIGHT
        position = end
    total += _text_weight(text[position:])
    return -(-total // SCALE)  # round up: half a character still doesn't fit


def fits(text: str) -> bool:
    return weighted_length(text) <= MAX_WEIGHTED_LENGTH


def js_data() -> str:
    """static/unisono/x_url_data.js: the patterns above and the TLD list, for x_counter.js."""
    data = {
        "url": URL_SOURCE,
        "asciiDomain": ASCII_DOMAIN_SOURCE,
        "tco": TCO_SOURCE,
        "noSchemeBadPreceding": NO_SCHEME_BAD_PRECEDING_SOURCE,
        "tldSlot": TLD_SLOT,
        "tlds": TLDS,
        "maxUrlLength": MAX_URL_LENGTH,
        "maxTcoSlugLength": MAX_TCO_SLUG_LENGTH,
    }
    return (
        "/* Generated from channels_app/social/counting.py: do not edit. The URL patterns of X's\n"
        " * count (twitter-text 3.1, TLD list Apache-2.0, Copyright 2011 Twitter, Inc.).\n"
        " * Regenerate: python -m channels_app.social.counting > static/unisono/x_url_data.js */\n"
        "window.unisonoXUrlData = " + json.dumps(data, indent=1, ensure_ascii=False) + ";\n"
    )


if __name__ == "__main__":
    print(js_data(), end="")
