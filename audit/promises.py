"""Promises outside policy, per language.

What the sent text promises is compared with the promises of the version it
used (the rules of its time, ``ResolutionVersion.promises``):

- an amount with a currency ("50 EUR", "€ 50", "50 euro", "50 kr", "kr 50")
  above the version's ``*_max_eur`` limit, or any amount when it has none;
- a date ("15 March", "1 december", "15-03", "15/03/2026"), or "within N
  days" faster than the version's ``*_days`` promise, when the policy promises
  no date (or a slower one);
- a refund word ("refund", "terugstorten", "refundere"...) when the policy has
  no refund or credit at all; a negated one ("we can't refund") is not a promise.

Only what the agent added counts: sentences of the sent text that are also in
the playbook's rendering are the playbook's own promise and are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audit.text import fold

# kr means the customer's krone: Danish or Norwegian by the answer's language.
EUR_PER_UNIT = {"eur": 1.0, "dkk": 1 / 7.46, "nok": 1 / 11.7}
KRONE = {"da": "dkk", "nb": "nok", "no": "nok"}

_NUMBER = r"(\d{1,6}(?:[.,]\d{1,2})?)(?:,-)?"
AMOUNT_RES = [
    (re.compile(r"(?:€|\beur\b|\beuro\b)\s?" + _NUMBER, re.IGNORECASE), "eur"),
    (re.compile(_NUMBER + r"\s?(?:€|eur\b|euro\b|euros\b)", re.IGNORECASE), "eur"),
    (re.compile(r"\bkr\.?\s?" + _NUMBER, re.IGNORECASE), "kr"),
    (re.compile(_NUMBER + r"\s?(?:kr\b|kroner\b|kronor\b|dkk\b|nok\b)", re.IGNORECASE), "kr"),
]

MONTHS = {
    "en": "january february march april may june july august september october november december",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "da": "januar februar marts april maj juni juli august september oktober november december",
    "nb": "januar februar mars april mai juni juli august september oktober november desember",
}
_MONTH_WORDS = sorted({word for words in MONTHS.values() for word in words.split()}, key=len, reverse=True)
DATE_RES = [
    re.compile(r"\b\d{1,2}\.?\s(?:" + "|".join(_MONTH_WORDS) + r")\b", re.IGNORECASE),
    re.compile(r"\b(?:" + "|".join(_MONTH_WORDS) + r")\s\d{1,2}(?:st|nd|rd|th)?\b", re.IGNORECASE),
    re.compile(r"\b\d{1,2}[/-]\d{1,2}(?:[/-]\d{2,4})?\b"),
]
WITHIN_DAYS = {
    "en": re.compile(r"\bwithin (\d{1,3}) (?:working |business )?days?\b"),
    "nl": re.compile(r"\bbinnen (\d{1,3}) (?:werk)?dag(?:en)?\b"),
    "da": re.compile(r"\binden for (\d{1,3}) (?:arbejds|hverdags)?dage?\b|\binden (\d{1,3}) dage\b"),
    "nb": re.compile(r"\binnen (\d{1,3}) (?:arbeids|virke)?dag(?:er)?\b"),
}
REFUND_WORDS = {
    "en": ["refund", "refunded", "reimburse", "reimbursed", "money back", "credit you", "credited"],
    "nl": ["terugstorten", "teruggestort", "terugbetalen", "terugbetaald", "vergoeden", "vergoed", "crediteren", "gecrediteerd"],
    "da": ["refundere", "refunderet", "tilbagebetale", "tilbagebetalt", "godtgore", "godtgjort"],
    "nb": ["refundere", "refundert", "tilbakebetale", "tilbakebetalt", "godtgjore", "godtgjort"],
}
NEGATIONS = {
    "en": ["not", "can't", "cannot", "can not", "won't", "unable", "no"],
    "nl": ["niet", "geen"],
    "da": ["ikke", "ingen"],
    "nb": ["ikke", "ingen"],
}
_REFUND_RES = {
    language: re.compile(r"(?<!\w)(" + "|".join(re.escape(fold(word)) for word in words) + r")(?!\w)")
    for language, words in REFUND_WORDS.items()
}


@dataclass(frozen=True)
class Breach:
    code: str  # "amount" | "date" | "refund"
    found: str
    allowed: str


def _amounts(text: str, language: str) -> list[tuple[str, float]]:
    found = []
    for pattern, unit in AMOUNT_RES:
        for match in pattern.finditer(text):
            value = float(match.group(1).replace(",", "."))
            currency = KRONE.get(language, "dkk") if unit == "kr" else "eur"
            found.append((match.group(0).strip(), round(value * EUR_PER_UNIT[currency], 2)))
    return found


def _limit_eur(promises: dict) -> float | None:
    limits = [float(value) for key, value in promises.items() if key.endswith("_eur") and isinstance(value, (int, float)) and not isinstance(value, bool)]
    return max(limits) if limits else None


def _refund_allowed(promises: dict) -> bool:
    return any(("refund" in key or "credit" in key) and value for key, value in promises.items())


def _days_promise(promises: dict) -> int | None:
    days = [int(value) for key, value in promises.items() if key.endswith("_days") and isinstance(value, int) and not isinstance(value, bool)]
    return min(days) if days else None


def _negated(folded: str, start: int, language: str) -> bool:
    before = folded[max(0, start - 30):start]
    words = re.findall(r"[\w']+", before)[-4:]
    window = " ".join(words)
    return any(re.search(r"(?<![\w'])" + re.escape(negation) + r"(?![\w'])", window) for negation in NEGATIONS.get(language, []) + NEGATIONS["en"])


def added_text(sent: str, rendered: str) -> str:
    """The sentences of ``sent`` that are not in ``rendered`` (what the agent wrote)."""
    if not rendered:
        return sent
    folded_rendered = fold(rendered)
    parts = re.split(r"(?<=[.!?])\s+|\n+", sent)
    return "\n".join(part for part in parts if part.strip() and fold(part.strip()) not in folded_rendered)


def breaches(*, sent: str, rendered: str, promises: dict, language: str) -> list[Breach]:
    """What ``sent`` promises beyond ``promises`` (and beyond the ``rendered`` playbook text)."""
    language = language if language in REFUND_WORDS else "en"
    promises = promises or {}
    text = added_text(sent, rendered)
    if not text.strip():
        return []
    found: list[Breach] = []
    limit = _limit_eur(promises)
    for amount, eur in _amounts(text, language):
        if limit is None or eur > limit + 0.005:
            found.append(Breach("amount", amount, f"{limit:g} EUR" if limit is not None else "no amount"))
    days = _days_promise(promises)
    folded = fold(text)
    if days is None:
        for pattern in DATE_RES:
            for match in pattern.finditer(text):
                found.append(Breach("date", match.group(0), "no date"))
    for pattern in WITHIN_DAYS.values():
        for match in pattern.finditer(folded):
            number = int(next(group for group in match.groups() if group))
            if days is None or number < days:
                found.append(Breach("date", match.group(0), f"{days} days" if days is not None else "no date"))
    if not _refund_allowed(promises):
        for code in {language, "en"}:
            for match in _REFUND_RES[code].finditer(folded):
                if not _negated(folded, match.start(), code):
                    found.append(Breach("refund", match.group(1), "no refund"))
    return found
