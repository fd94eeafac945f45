"""Rank playbook topics (and their resolutions) for a customer's message.

Lexical and multilingual without a model download: every topic becomes one
TF-IDF vector of character n-grams (3 to 5, inside word boundaries) and whole
words, built from its example phrasings in every language, its names and its
keyword list. Text is folded first (lowercase, diacritics off, æ -> ae, ø -> o),
so "regning", "rekening" and "regningen" share n-grams with each other and the
keywords bridge the rest: a Danish message finds a topic whose examples are
English and Dutch when the topic lists a few Danish words.

On top of that, for the Germanic languages we serve: a light stemmer (one
feature per stem: "nummeret" ~ "nummer"), unordered pairs of neighbouring
words ("flytte nummer" is porting, "flytte" alone is moving house), negations
folded into one token ("geen bereik" ~ "ingen dækning" ~ "0 streepjes"), and a
small lexicon of foreign places (a message naming "London" or "Mallorca" is
about being abroad). Keyword phrases match on stems with articles and
possessives skipped, and the longest matching keyword hides the shorter ones
inside it.

What makes it generalise is the playbook, not the formula: thirty or so
example phrasings per topic and language, in the registers customers write in
(SMS, tweets, long emails), each a different situation. Keywords are a small
nudge on top (KEYWORD_BONUS) and weigh like one more example mention: their
flat bonus for single common words overruled the examples on new messages.
Tried on held-out phrasings and not kept: nearest example (kNN, best or top-3
mean, alone or added to the centroid), multinomial naive Bayes, a Rocchio
centroid minus the mean of all topics, a perceptron on top of the centroid,
compound splitting, more stopwords, other n-gram sizes and feature weights;
none beat one centroid per topic.

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
STEM_WEIGHT = 1  # its stem once more: "nummeret", "nummer" and "numre" meet
BIGRAM_WEIGHT = 2  # two neighbouring words: "flytte nummer" is not "flytte"
CONCEPT_WEIGHT = 2  # a word of a lexicon class, e.g. any foreign place
KEYWORD_WEIGHT = 1  # a keyword counts as one more example mention
# A keyword found in the message adds this to its topic's cosine score (at
# most MAX_KEYWORD_HITS times): a listed word is a supervisor's explicit hint.
# A small nudge, not a verdict: with a dozen example phrasings per language
# the cosine carries the ranking, and a flat bonus for a single common word
# ("again", "wifi") overruled it on messages nobody had tuned for.
KEYWORD_BONUS = 0.03
MAX_KEYWORD_HITS = 3
KEYWORD_PREFIX_MIN = 5  # "opsige" also matches "opsiger", "opsigelsen"
MAX_QUERY_CHARS = 2000
MAX_DOCUMENT_SHARE = 0.3
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)

# Function words of our languages (folded): they say nothing about the topic
# and only make the index slower. Generic customer-service words ("help",
# "problem", "question") are here too: every topic's messages have them, and
# so are weekdays and months ("it's Thursday now", "since March").
STOPWORDS = frozenset(
    """
    a an the and or but if of to in on at by for from with about as into is are was were be been am do does did
    have has had i me my mine you your we our us they them their he she it its this that these those there here
    what which who how why when where can could would should will shall may might must yes so than too very
    just also please hi hello hey thanks thank dear sir madam ok all any some
    help question problem issue customer regards kind best
    de het een en of maar als van naar in op aan bij voor met over om tot is zijn was waren ben bent wordt worden
    heb hebt heeft had hadden ik mij me mijn jij je jou jouw u uw wij we ons onze zij ze hun hij haar het dit dat
    deze die er hier wat welke wie hoe waarom wanneer waar kan kunt kunnen zou zouden moet moeten wil wilt willen
    ja nee zo dan ook al nog wel graag hallo hoi beste dank bedankt alsjeblieft alstublieft
    hulp vraag probleem klant groet groeten vriendelijke mvg goedemiddag goedemorgen goedenavond nu now na
    og eller men hvis af til i pa ved for fra med om som ind er var vaere har havde jeg mig min mit mine du dig
    din dit dine vi os vores de dem deres han hun den det denne dette disse der her hvad hvilken hvem hvordan
    hvorfor hvornar hvor kan kunne vil ville skal skulle ma matte ja sa end ogsa bare tak hej hei kaere
    hjaelp sporgsmal problem kunde hilsen venlig mvh
    eller om inn var vaere hatt meg mitt mine deg ditt dine oss vart vare dem deres hvilken hvem hvordan hvorfor
    nar hvor kunne ville skulle matte ogsa takk kjaere hjelp sporsmal vennlig
    monday tuesday wednesday thursday friday saturday sunday maandag dinsdag woensdag donderdag vrijdag zaterdag
    zondag mandag tirsdag onsdag torsdag fredag lordag sondag
    january february march april june july august september october november december januari februari maart
    mei juni juli augustus oktober januar februar marts mars mai desember
    """.split()
)
# Negations are one token in every language: "geen bereik", "ingen dækning",
# "no signal" and "0 streepjes" then share the phrase "no <signal word>".
NEGATIONS = frozenset(
    "no not none nothing never zero 0 geen niet niks niets nooit nul ingen ikke intet inget ingenting aldrig aldri null".split()
)
_NEGATION = "not"
# Keyword phrases skip only articles and possessives ("keep my number" is
# "keep number", "flytte mit nummer" is "flytte nummer"): dropping every
# stopword would turn "naar jullie over" into the bare word "jullie".
PHRASE_SKIP = frozenset(
    """
    a an the my your our their his her its de het een mijn je jouw uw onze ons hun zijn haar
    en et ei min mit mine din dit dine vores jeres deres hans hendes sin sit sine mitt vart vare
    """.split()
)

# Word classes that a playbook cannot list word by word. A message naming a
# foreign country or a travel destination is about being abroad whatever the
# place: "London", "Mallorca", "båten til Tyskland". A topic gets the class
# feature from its own examples/keywords naming any such place. Folded forms,
# in en/nl/da/nb spellings; home-market places (Amsterdam, København, Oslo)
# are left out on purpose: they say nothing about travel, and so are places
# spelt like a common word ("us", "nice", "split", Norwegian "rom" = room).
LEXICON = {
    "place": """
    europe europa eu usa america amerika american canada mexico mexiko brazil brazilie brasilien argentina
    uk england britain engeland storbritannien london scotland schotland skotland ireland ierland irland dublin
    france frankrijk frankrig frankrike paris parijs
    spain spanje spanien spania madrid barcelona mallorca majorca ibiza malaga tenerife canarias canary kanarieoerne
    gran canaria kanariske kanarische lanzarote fuerteventura benidorm alicante
    portugal lisbon lissabon algarve madeira italy italie italien italia rome milan milaan venice venetie
    greece griekenland graekenland hellas kreta crete rhodos rhodes athens athene
    germany duitsland tyskland berlin berlijn hamburg munchen munich
    belgium belgie belgien brussels brussel bruxelles austria oostenrijk ostrig osterrike wien vienna
    switzerland zwitserland schweiz sveits zurich geneve geneva
    poland polen krakow warsaw warschau czech tsjechie tjekkiet tsjekkia prague praag prag
    croatia kroatie kroatien kroatia dubrovnik turkey turkije tyrkiet tyrkia istanbul antalya alanya
    mediterranean middellandse middelhavet adriatic adriatische
    cyprus cypern kypros malta iceland ijsland island sweden zweden sverige stockholm gothenburg goteborg
    finland finland helsinki andorra monaco liechtenstein serbia servie serbien albania albanie albanien montenegro
    bosnia bosnie bosnien hungary hongarije ungarn slovenia slovenie slovenien bulgaria bulgarije bulgarien
    romania roemenie rumaenien estonia estland latvia letland lithuania litouwen litauen ukraine oekraine ukraina
    morocco marokko tunisia tunesie tunesien egypt egypte egypten hurghada dubai emirates emiraten qatar
    thailand bangkok phuket bali indonesia indonesie indonesien vietnam japan tokyo china kina india indien
    australia australie australien singapore curacao aruba bonaire suriname caribbean caraiben caribien karibien
    florida york vegas cuba peru chile colombia kenya tanzania zanzibar israel maldives malediven maldiverne
    mauritius seychellen seychelles philippines filipijnen filippinerne filippinene
    """,
}
_CONCEPTS = {word: concept for concept, words in LEXICON.items() for word in words.split()}

# Light stemming for en/nl/da/nb: strip one common inflection or derivation
# ending, twice at most, keeping a stem of 4+ letters, then undouble a final
# consonant ("flytter", "flytte", "flytning" -> "flyt"; "nummeret" ->
# "nummer" -> "num"). Crude, but the same on both sides of the comparison.
_SUFFIXES = (
    "ingene", "ingen", "ningen", "elsen", "elser", "heden", "heten", "erne", "ende", "ene", "ing", "ning", "else",
    "tjes", "tje", "jes", "ede", "en", "er", "et", "es", "ed", "ne", "je", "e", "s",
)
_SUFFIXES = tuple(sorted(set(_SUFFIXES), key=len, reverse=True))
_STEM_MIN = 4


def stem(word: str) -> str:
    for _ in range(2):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= _STEM_MIN:
                word = word[: -len(suffix)]
                break
        else:
            break
    if len(word) > _STEM_MIN and word[-1] == word[-2] and word[-1] not in "aeiouy":
        word = word[:-1]
    return word


def _tokens(text: str) -> list[str]:
    """Folded words without stopwords; negations kept as one token."""
    found = []
    for word in _WORD_RE.findall(fold(text[:MAX_QUERY_CHARS])):
        if word in NEGATIONS:
            found.append(_NEGATION)
        elif word not in STOPWORDS:
            found.append(word)
    return found


def _phrase_words(text: str) -> list[str]:
    """Folded words for keyword matching: articles and possessives out."""
    found = []
    for word in _WORD_RE.findall(fold(text[:MAX_QUERY_CHARS])):
        if word in NEGATIONS:
            found.append(_NEGATION)
        elif word not in PHRASE_SKIP:
            found.append(word)
    return found


def _words(text: str) -> list[str]:
    return [word for word in _tokens(text) if word != _NEGATION]


def features(text: str) -> Counter:
    found: Counter = Counter()
    previous = ""
    for word in _tokens(text):
        if word == _NEGATION:
            previous = word
            continue
        word_stem = stem(word)
        if len(word) > 1:
            found["w " + word] += WORD_WEIGHT
            found["s " + word_stem] += STEM_WEIGHT
        concept = _CONCEPTS.get(word)
        if concept:
            found["c " + concept] += CONCEPT_WEIGHT
        if previous:
            # Unordered: "flytte nummeret" and "nummeret flyttes", "svak
            # wifi" and "wifien er svak" are the same pair.
            first, second = sorted((previous, word_stem))
            found[f"b {first} {second}"] += BIGRAM_WEIGHT
        previous = word_stem
        padded = f" {word} "
        for size in NGRAM_SIZES:
            for start in range(len(padded) - size + 1):
                found[padded[start : start + size]] += 1
    return found


def _keys(word: str, prefixes) -> set[str]:
    """What a message word can match in a keyword: its stem, its class, and
    every keyword word of 5+ letters it starts with."""
    keys = {stem(word)} if word not in STOPWORDS else {word}
    concept = _CONCEPTS.get(word)
    if concept and word not in STOPWORDS:
        keys.add("@" + concept)
    for size in range(KEYWORD_PREFIX_MIN, len(word) + 1):
        if word[:size] in prefixes:
            keys.add(word[:size])
    return keys


def _keyword_key(word: str) -> str:
    if word in _CONCEPTS:
        return "@" + _CONCEPTS[word]
    if word in STOPWORDS:
        return word
    if len(word) >= KEYWORD_PREFIX_MIN:
        return word  # matched as a prefix of the message's word
    return stem(word)


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
        # A trie of keyword phrases over word keys (stopwords dropped, so
        # "keep my number" is "keep number" on both sides): node -> children,
        # plus the topics a phrase ending at the node belongs to.
        self.trie: dict = {}
        self.prefixes: set[str] = set()
        for topic_index, topic in enumerate(topics):
            for keyword in topic.keywords or []:
                words = _phrase_words(keyword)
                if not words:
                    continue
                node = self.trie
                for word in words:
                    key = _keyword_key(word)
                    if len(key) >= KEYWORD_PREFIX_MIN and not key.startswith("@"):
                        self.prefixes.add(key)
                    node = node.setdefault(key, {})
                node.setdefault(None, set()).add(topic_index)

    def keyword_hits(self, text: str) -> dict[int, int]:
        tokens = _phrase_words(text)
        keys = [_keys(word, self.prefixes) for word in tokens]
        matches = []  # (start, end, phrase path, topics)
        for start in range(len(tokens)):
            frontier = [(self.trie, ())]
            for end in range(start, len(tokens)):
                frontier = [(node[key], path + (key,)) for node, path in frontier for key in keys[end] if key in node]
                if not frontier:
                    break
                for node, path in frontier:
                    if None in node:
                        matches.append((start, end + 1, path, node[None]))
        # The longest match wins: "flytte nummer" (porting) hides the
        # "flytte" (moving house) inside it, "svak wifi" hides "wifi".
        hits: dict[int, set] = {}
        for start, end, path, topic_indexes in matches:
            if any(
                other_start <= start and end <= other_end and (other_end - other_start) > (end - start)
                for other_start, other_end, _, _ in matches
            ):
                continue
            for topic_index in topic_indexes:
                hits.setdefault(topic_index, set()).add(path)
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


def current_index(*, revision: tuple | None = None) -> SuggestionIndex:
    """The index for the playbook as it is now; ``revision`` when the caller
    already read ``selectors.index_revision()`` (or ``composer_state``)."""
    if revision is None:
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


def suggest(text: str, *, language: str = "", limit: int = 5, revision: tuple | None = None) -> list[Suggestion]:
    """The best resolutions for ``text``, best first (several per topic when
    a topic has several)."""
    return current_index(revision=revision).suggest(text, language=language, limit=limit)
