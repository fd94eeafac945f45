"""The composer's tone check: warnings, never blocks.

Cold replies lose customers ("Dear customer", "not our fault"). The phrases
live here once; the composer's script gets them as JSON (``rules_for_client``)
so the live check in the browser and this server-side check agree.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

GENERIC_SALUTATIONS = {
    "en": ["dear customer", "dear valued customer", "dear sir or madam", "dear sir/madam", "dear client", "to whom it may concern"],
    "nl": ["beste klant", "geachte klant", "beste relatie", "geachte relatie", "geachte heer/mevrouw", "geachte heer of mevrouw", "beste abonnee"],
    "da": ["kære kunde", "kære abonnent", "til rette vedkommende"],
    "nb": ["kjære kunde", "kjære abonnent", "til den det måtte gjelde"],
}

BLAME_PHRASES = {
    "en": ["not our fault", "your own fault", "you should have", "as we already told you", "as stated before", "that is your problem", "nothing we can do"],
    "nl": ["niet onze schuld", "uw eigen schuld", "je eigen schuld", "had u moeten", "had je moeten", "zoals al eerder gezegd", "zoals eerder aangegeven", "daar kunnen wij niets aan doen"],
    "da": ["ikke vores skyld", "din egen skyld", "du burde have", "som vi allerede har sagt", "det kan vi ikke gøre noget ved"],
    "nb": ["ikke vår skyld", "din egen skyld", "du burde ha", "som vi allerede har sagt", "det kan vi ikke gjøre noe med"],
}


@dataclass(frozen=True)
class ToneWarning:
    code: str  # "generic_salutation" | "no_name" | "blame"
    phrase: str
    message: str


def fold(text: str) -> str:
    """Lowercase, without diacritics, single spaces: "Kære  Kunde" ~ "kaere kunde"."""
    text = text.lower().replace("æ", "ae").replace("ø", "o").replace("ß", "ss")
    text = "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))
    return re.sub(r"\s+", " ", text)


def _contains(folded_text: str, phrase: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(fold(phrase)) + r"(?!\w)", folded_text) is not None


def check(text: str, *, first_name: str = "") -> list[ToneWarning]:
    """Warnings for ``text``. Phrases of every language are checked: an agent
    may write Dutch on an English ticket, and the cold phrase is cold anyway."""
    folded = fold(text)
    warnings: list[ToneWarning] = []
    for phrases in GENERIC_SALUTATIONS.values():
        for phrase in phrases:
            if _contains(folded, phrase):
                warnings.append(ToneWarning("generic_salutation", phrase, f"“{phrase}” is a generic salutation: greet the customer by name."))
    for phrases in BLAME_PHRASES.values():
        for phrase in phrases:
            if _contains(folded, phrase):
                warnings.append(ToneWarning("blame", phrase, f"“{phrase}” sounds like blame: say what you will do instead."))
    name = first_name.strip()
    if name and text.strip() and not _contains(folded, name):
        warnings.append(ToneWarning("no_name", name, f"The reply doesn't use {name}'s name."))
    return warnings


def rules_for_client() -> dict:
    """The phrase lists for the composer's live check (folded the same way in JS)."""
    return {
        "salutations": sorted({phrase for phrases in GENERIC_SALUTATIONS.values() for phrase in phrases}),
        "blame": sorted({phrase for phrases in BLAME_PHRASES.values() for phrase in phrases}),
    }
