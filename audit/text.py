"""A fast ``resolutions.tone.fold`` for the audit's bulk scans.

Same result as tone.fold (lowercase, no diacritics, single spaces) but it
skips the per-character work for ASCII text (most answers) and strips
combining marks with one regex instead of a Python loop: the findings job folds
hundreds of thousands of answers.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"\s+")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    text = text.lower()
    if not text.isascii():
        text = text.replace("æ", "ae").replace("ø", "o").replace("ß", "ss")
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return _SPACES.sub(" ", text)


@lru_cache(maxsize=4096)
def name_pattern(name: str) -> re.Pattern:
    return re.compile(r"(?<!\w)" + re.escape(fold(name)) + r"(?!\w)")
