"""Group similar off-playbook answers (character n-gram similarity).

Texts are normalised (folded, digits and the customer's name removed) and
compared by the Jaccard similarity of their character 3-gram sets. Leader
clustering: each text joins the first cluster whose leader is similar enough,
or leads a new one. Identical normalised texts are merged first, so a day of
copy-pasted answers costs one comparison. A cluster with enough members from
enough tickets is proposed as a new playbook entry, worded by its most central
member.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from audit.text import fold

_DIGITS = re.compile(r"\d+")
_PUNCTUATION = re.compile(r"[^\w ]+")
_SPACES = re.compile(r"\s+")

SIMILARITY = 0.45
MIN_MEMBERS = 4
MAX_LEADERS = 2000  # per (topic, language): beyond that the rest is noise for this run


def normalise(text: str, first_name: str = "") -> str:
    if first_name:
        # Drop the name before folding, so one template sent to many customers
        # is one cache entry.
        text = text.replace(first_name, " ")
    return _normalise(text, fold(first_name) if first_name else "")


@lru_cache(maxsize=50000)
def _normalise(text: str, folded_name: str) -> str:
    text = fold(text)
    if folded_name:
        text = text.replace(folded_name, " ")
    text = _DIGITS.sub("0", text)
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", text)).strip()


def grams(text: str, n: int = 3) -> frozenset[str]:
    return frozenset(text[i:i + n] for i in range(max(1, len(text) - n + 1)))


def jaccard(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass
class Cluster:
    leader: frozenset
    texts: dict = field(default_factory=dict)  # normalised text -> (grams, [(message_id, original)])

    @property
    def message_ids(self) -> list[int]:
        return [message_id for _grams, members in self.texts.values() for message_id, _original in members]

    def proposal(self) -> str:
        """The member most similar to all the others (the medoid), as sent."""
        best, best_score = None, -1.0
        entries = list(self.texts.values())
        for gram_set, members in entries[:200]:
            score = sum(jaccard(gram_set, other) * len(other_members) for other, other_members in entries[:200])
            if score > best_score:
                best, best_score = members[0][1], score
        return best or ""


def cluster(items: list[tuple[int, str, str]]) -> list[Cluster]:
    """``items``: (message_id, text, first_name). Returns clusters of at least MIN_MEMBERS."""
    by_text: dict[str, list[tuple[int, str]]] = {}
    for message_id, text, first_name in items:
        by_text.setdefault(normalise(text, first_name), []).append((message_id, text))
    clusters: list[Cluster] = []
    # Most frequent texts first: they make the best leaders.
    for text, members in sorted(by_text.items(), key=lambda item: -len(item[1])):
        if not text:
            continue
        gram_set = grams(text)
        home = None
        for candidate in clusters:
            if jaccard(gram_set, candidate.leader) >= SIMILARITY:
                home = candidate
                break
        if home is None:
            if len(clusters) >= MAX_LEADERS:
                continue
            home = Cluster(leader=gram_set)
            clusters.append(home)
        home.texts[text] = (gram_set, members)
    return [found for found in clusters if len(found.message_ids) >= MIN_MEMBERS]
