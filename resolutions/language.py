"""Which language a customer wrote in, offline.

py3langid (a maintained fork of langid.py, MIT): its model ships inside the
4.6 MB wheel (numpy is its only dependency), nothing is downloaded at run
time, and it classifies a short message in well under a millisecond. lingua
is more accurate on very short texts but its wheel carries every language's
models (tens of MB); langdetect is unmaintained since 2021 and random unless
seeded. We restrict py3langid to the languages our customers write in, which
both speeds it up and keeps Danish/Norwegian from drifting to e.g. Swedish.

The model is loaded once per process, on first use (about two seconds).
"""

from __future__ import annotations

import re
import threading

# What langid may answer; Norwegian is "no" there and Bokmål ("nb") for us.
CANDIDATES = ("en", "nl", "da", "no", "sv", "de", "fr", "es")
ALIASES = {"no": "nb"}
MIN_CONFIDENCE = 0.5
MIN_LETTERS = 4  # "ok", "tak", "👍" say nothing about a language

_identifier = None
_lock = threading.Lock()


def _get_identifier():
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                identifier.set_languages(list(CANDIDATES))
                _identifier = identifier
    return _identifier


def detect(text: str) -> str:
    """The language code of ``text`` ("en", "nl", "da", "nb", ...), or "" when
    the text is too short or the detector is unsure."""
    letters = re.sub(r"[^\w]|[\d_]", "", text or "")
    if len(letters) < MIN_LETTERS:
        return ""
    language, confidence = _get_identifier().classify(text[:2000])
    if confidence < MIN_CONFIDENCE:
        return ""
    return ALIASES.get(language, language)
