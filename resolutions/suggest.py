"""Rank playbook topics (and their resolutions) for a customer's message.

Lexical and multilingual without a model download: every topic becomes one
TF-IDF vector of character n-grams (3 to 5, inside word boundaries) and whole
words, built from its example phrasings in every language, its names and its
keyword list. Text is folded first (lowercase, diacritics off, æ -> ae, ø -> o),
so "regning", "rekening" and "regningen" share n-grams with each other and the
keywords bridge the rest: a Danish message finds a topic whose examples are
English and Dutch when the topic lists a few Danish words.

The index lives in process memory and is rebuilt when the playbook changes
(keyed by ``selectors.index_revision``); each process builds its own, nothing
is shared between processes.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from dataclasses import dataclass

import numpy as np

from resolutions import selectors
from resolutions.tone import fold

NGRAM_SIZES = (3, 4, 5)
WORD_WEIGHT = 2  # a whole word counts as much as two of its n-grams
KEYWORD_WEIGHT = 2  # a keyword counts as two example mentions
# A keyword found in the message adds this to its topic's cosine score (at
# most MAX_KEYWORD_HITS times): a listed word is a supervisor's explicit hint.
KEYWORD_BONUS = 0.08
MAX_KEYWORD_HITS = 3
KEYWORD_PREFIX_MIN = 5  # "opsige" also matches "opsiger", "opsigelsen"
MAX_QUERY_CHARS = 2000
MAX_DOCUMENT_SHARE = 0.3
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)

# Function words of our languages (folded): they say nothing about the topic
# and only make the index slower.
STOPWORDS = frozenset(
    """
    a an the and or but if of to in on at by for from with about as into is are was were be been am do does did
    have has had i me my mine you your we our us they them their he she it its this that these those there here
    what which who how why when where can could would should will shall may might must not no yes so than too very
    just also please hi hello hey thanks thank dear sir madam ok all any some
    de het een en of maar als van naar in op aan bij voor met over om tot is zijn was waren ben bent wordt worden
    heb hebt heeft had hadden ik mij me mijn jij je jou jouw u uw wij we ons onze zij ze hun hij haar het dit dat
    deze die er hier wat welke wie hoe waarom wanneer waar kan kunt kunnen zou zouden moet moeten wil wilt willen
    niet geen ja nee zo dan ook al nog wel graag hallo hoi beste dank bedankt alsjeblieft alstublieft
    og eller men hvis af til i pa ved for fra med om som ind er var vaere har havde jeg mig min mit mine du dig
    din dit dine vi os vores de dem deres han hun den det denne dette disse der her hvad hvilken hvem hvordan
    hvorfor hvornar hvor kan kunne vil ville skal skulle ma matte ikke nej ja sa end ogsa bare tak hej hei kaere
    eller om inn var vaere hatt meg mitt mine deg ditt dine oss vart vare dem deres hvilken hvem hvordan hvorfor
    nar hvor kunne ville skulle matte nei ogsa takk kjaere
    """.split()
)


def _words(text: str) -> list[str]:
    return [word for word in _WORD_RE.findall(fold(text[:MAX_QUERY_CHARS])) if word not in STOPWORDS]


def features(text: str) -> Counter:
    found: Counter = Counter()
    for word in _words(text):
        if len(word) > 1:
            found["w " + word] += WORD_WEIGHT
        padded = f" {word} "
        for size in NGRAM_SIZES:
            for start in range(len(padded) - size + 1):
                found[padded[start : start + size]] += 1
    return found


@dataclass(frozen=True)
class Suggestion:
    topic: str  # slug
    topic_name: str
    resolution: str  # slug
    title: str
    policy: str
    version: int
    score: float

    def as_dict(self) -> dict:
        return {
            "topic": self.topic, "topic_name": self.topic_name, "resolution": self.resolution,
            "title": self.title, "policy": self.policy, "version": self.version, "score": self.score,
        }


@dataclass
class _Entry:
    slug: str
    names: dict
    resolutions: list[tuple[str, str, str, int]]  # slug, title, policy, version id


class SuggestionIndex:
    def __init__(self, topics) -> None:
        self.entries: list[_Entry] = []
        documents: list[Counter] = []
        for topic in topics:
            document: Counter = Counter()
            texts = [text for phrasings in (topic.examples or {}).values() for text in phrasings]
            texts += list((topic.names or {}).values())
            for text in texts:
                document.update(features(text))
            for keyword in topic.keywords or []:
                for feature, count in features(keyword).items():
                    document[feature] += count * KEYWORD_WEIGHT
            self.entries.append(
                _Entry(
                    slug=topic.slug,
                    names=topic.names,
                    resolutions=[
                        (resolution.slug, resolution.title, resolution.current_version.policy, resolution.current_version_id)
                        for resolution in getattr(topic, "active", [])
                    ],
                )
            )
            documents.append(document)
        self._index_keywords(topics)
        count = len(documents)
        document_frequency: Counter = Counter()
        for document in documents:
            document_frequency.update(document.keys())
        self.idf = {feature: math.log((1 + count) / (1 + frequency)) + 1 for feature, frequency in document_frequency.items()}
        # An n-gram in most topics ranks nothing but costs time on every
        # query: leave it out of the postings (a big playbook has many).
        common = {feature for feature, frequency in document_frequency.items() if count >= 20 and frequency > count * MAX_DOCUMENT_SHARE}
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for topic_index, document in enumerate(documents):
            weights = {feature: (1 + math.log(tf)) * self.idf[feature] for feature, tf in document.items()}
            norm = math.sqrt(sum(weight * weight for weight in weights.values())) or 1.0
            for feature, weight in weights.items():
                if feature in common:
                    continue
                topics_of, weights_of = postings.setdefault(feature, ([], []))
                topics_of.append(topic_index)
                weights_of.append(weight / norm)
        # numpy arrays per feature: scoring a query is one concatenate and one
        # bincount, whatever the number of topics.
        self.postings = {
            feature: (np.asarray(topics_of, dtype=np.int32), np.asarray(weights_of, dtype=np.float32))
            for feature, (topics_of, weights_of) in postings.items()
        }

    def _index_keywords(self, topics) -> None:
        # Whole phrases (tuples of folded words) and, for long single words,
        # prefixes: keyword -> the topics listing it.
        self.phrases: dict[tuple[str, ...], set[int]] = {}
        self.prefixes: dict[str, set[int]] = {}
        for topic_index, topic in enumerate(topics):
            for keyword in topic.keywords or []:
                words = tuple(_WORD_RE.findall(fold(keyword)))
                if not words:
                    continue
                if len(words) == 1 and len(words[0]) >= KEYWORD_PREFIX_MIN:
                    self.prefixes.setdefault(words[0], set()).add(topic_index)
                else:
                    self.phrases.setdefault(words, set()).add(topic_index)
        self.longest_phrase = max((len(phrase) for phrase in self.phrases), default=0)

    def keyword_hits(self, text: str) -> dict[int, int]:
        words = _WORD_RE.findall(fold(text[:MAX_QUERY_CHARS]))
        hits: dict[int, set] = {}
        for start in range(len(words)):
            for length in range(1, self.longest_phrase + 1):
                phrase = tuple(words[start : start + length])
                for topic_index in self.phrases.get(phrase, ()):
                    hits.setdefault(topic_index, set()).add(phrase)
            word = words[start]
            for size in range(KEYWORD_PREFIX_MIN, len(word) + 1):
                for topic_index in self.prefixes.get(word[:size], ()):
                    hits.setdefault(topic_index, set()).add(word[:size])
        return {topic_index: len(found) for topic_index, found in hits.items()}

    def rank_topics(self, text: str) -> list[tuple[int, float]]:
        query = {feature: (1 + math.log(tf)) * self.idf[feature] for feature, tf in features(text).items() if feature in self.postings}
        if not query or not self.entries:
            return []
        norm = math.sqrt(sum(weight * weight for weight in query.values()))
        topic_parts, weight_parts = [], []
        for feature, weight in query.items():
            topics_of, weights_of = self.postings[feature]
            topic_parts.append(topics_of)
            weight_parts.append(weights_of * (weight / norm))
        scores = np.bincount(np.concatenate(topic_parts), weights=np.concatenate(weight_parts), minlength=len(self.entries))
        for topic_index, count in self.keyword_hits(text).items():
            scores[topic_index] += KEYWORD_BONUS * min(count, MAX_KEYWORD_HITS)
        order = np.argsort(-scores, kind="stable")
        return [(int(index), float(scores[index])) for index in order if scores[index] > 0]

    def suggest(self, text: str, *, language: str = "", limit: int = 5) -> list[Suggestion]:
        suggestions: list[Suggestion] = []
        for topic_index, score in self.rank_topics(text):
            entry = self.entries[topic_index]
            name = entry.names.get(language) or entry.names.get("en") or entry.slug
            for slug, title, policy, version in entry.resolutions:
                suggestions.append(Suggestion(entry.slug, name, slug, title, policy, version, round(score, 4)))
                if len(suggestions) >= limit:
                    return suggestions
        return suggestions


_cache: dict = {}
_cache_lock = threading.Lock()


def current_index() -> SuggestionIndex:
    revision = selectors.index_revision()
    index = _cache.get(revision)
    if index is None:
        with _cache_lock:
            index = _cache.get(revision)
            if index is None:
                index = SuggestionIndex(selectors.playbook_topics())
                _cache.clear()
                _cache[revision] = index
    return index


def suggest(text: str, *, language: str = "", limit: int = 5) -> list[Suggestion]:
    """The best resolutions for ``text``, best first (several per topic when
    a topic has several)."""
    return current_index().suggest(text, language=language, limit=limit)
