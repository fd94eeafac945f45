"""The playbook file: parse and validate YAML, and write it back canonically.

Any YAML of the documented shape imports. Export writes one canonical form —
fixed key order, languages en, nl, da, nb first and the rest alphabetically,
channels default, x, sms, phone, every text as a double-quoted (JSON-escaped)
string on one line — so a file written by export and imported unchanged
exports byte for byte the same, and a diff of two exports shows real changes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import yaml

from resolutions.models import ANSWER_CHANNELS
from resolutions.rendering import unknown_placeholders

HEADER = "# Unisono resolution playbook. Change it, then: python manage.py import_playbook FILE\n"
LANGUAGE_ORDER = ("en", "nl", "da", "nb")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")
PROMISE_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_TEXT = 5000
# Control characters other than newline and tab have no place in an answer
# (and some would not survive a YAML round trip).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


class PlaybookError(ValueError):
    """The file is not a valid playbook; the message names the place."""


@dataclass
class ResolutionSpec:
    slug: str
    title: str
    policy: str
    promises: dict
    answers: dict  # {lang: {channel: text}}
    exception: dict  # {lang: text}


@dataclass
class TopicSpec:
    slug: str
    names: dict
    examples: dict  # {lang: [text]}
    keywords: list = field(default_factory=list)
    cancellation: bool = False
    resolutions: list[ResolutionSpec] = field(default_factory=list)


def language_key(language: str) -> tuple[int, str]:
    return (LANGUAGE_ORDER.index(language), "") if language in LANGUAGE_ORDER else (len(LANGUAGE_ORDER), language)


def ordered_languages(mapping: dict) -> list[str]:
    return sorted(mapping, key=language_key)


# --- parsing ---------------------------------------------------------------------------


def parse(text: str) -> list[TopicSpec]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise PlaybookError(f"not valid YAML{where}: {getattr(error, 'problem', None) or error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("topics"), list):
        raise PlaybookError("the file needs a top-level 'topics:' list")
    unknown = set(document) - {"topics"}
    if unknown:
        raise PlaybookError(f"unknown top-level key(s): {', '.join(sorted(map(str, unknown)))}")
    topics = [_topic(raw, f"topics[{index}]") for index, raw in enumerate(document["topics"])]
    _unique([topic.slug for topic in topics], "topic")
    _unique([resolution.slug for topic in topics for resolution in topic.resolutions], "resolution")
    return topics


def _unique(slugs: list[str], what: str) -> None:
    seen: set[str] = set()
    for slug in slugs:
        if slug in seen:
            raise PlaybookError(f"{what} slug {slug!r} appears twice")
        seen.add(slug)


def _mapping(raw, where: str, allowed: set[str], required: set[str]) -> dict:
    if not isinstance(raw, dict):
        raise PlaybookError(f"{where}: expected a mapping")
    unknown = set(map(str, raw)) - allowed
    if unknown:
        raise PlaybookError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    missing = required - set(raw)
    if missing:
        raise PlaybookError(f"{where}: missing {', '.join(sorted(missing))}")
    return raw


def _text(raw, where: str, *, required: bool = True, placeholders: bool = False) -> str:
    if raw is None and not required:
        return ""
    if not isinstance(raw, str) or (required and not raw.strip()):
        raise PlaybookError(f"{where}: expected a non-empty text")
    if len(raw) > MAX_TEXT:
        raise PlaybookError(f"{where}: longer than {MAX_TEXT} characters")
    if _CONTROL_RE.search(raw):
        raise PlaybookError(f"{where}: contains a control character")
    if placeholders:
        unknown = unknown_placeholders(raw)
        if unknown:
            raise PlaybookError(f"{where}: unknown placeholder {{{unknown[0]}}} (use first_name, ticket_ref, agent_name)")
    return raw


def _slug(raw, where: str) -> str:
    if not isinstance(raw, str) or not SLUG_RE.match(raw) or len(raw) > 80:
        raise PlaybookError(f"{where}: slug must be lowercase letters, digits and dashes")
    return raw


def _language(raw, where: str) -> str:
    # YAML 1.1 reads a bare `no:` as False: say what happened.
    if raw is False:
        raise PlaybookError(f"{where}: language key 'no' was read as false; Norwegian is 'nb'")
    if not isinstance(raw, str) or not LANGUAGE_RE.match(raw):
        raise PlaybookError(f"{where}: {raw!r} is not a language code like en, nl, da, nb")
    return raw


def _per_language_text(raw, where: str, *, placeholders: bool = False) -> dict:
    if not isinstance(raw, dict) or not raw:
        raise PlaybookError(f"{where}: expected languages, e.g. {{en: ..., nl: ...}}")
    return {
        _language(language, f"{where}"): _text(text, f"{where}.{language}", placeholders=placeholders)
        for language, text in raw.items()
    }


def _topic(raw, where: str) -> TopicSpec:
    raw = _mapping(raw, where, {"slug", "name", "keywords", "cancellation", "examples", "resolutions"}, {"slug", "name"})
    slug = _slug(raw["slug"], f"{where}.slug")
    where = f"topic {slug}"
    names = _per_language_text(raw["name"], f"{where}.name")
    keywords = raw.get("keywords") or []
    if not isinstance(keywords, list):
        raise PlaybookError(f"{where}.keywords: expected a list")
    keywords = [_text(keyword, f"{where}.keywords[{index}]") for index, keyword in enumerate(keywords)]
    cancellation = raw.get("cancellation", False)
    if not isinstance(cancellation, bool):
        raise PlaybookError(f"{where}.cancellation: expected true or false")
    examples_raw = raw.get("examples") or {}
    if not isinstance(examples_raw, dict):
        raise PlaybookError(f"{where}.examples: expected languages with lists of phrasings")
    examples: dict[str, list[str]] = {}
    for language, phrasings in examples_raw.items():
        language = _language(language, f"{where}.examples")
        if not isinstance(phrasings, list):
            raise PlaybookError(f"{where}.examples.{language}: expected a list of phrasings")
        examples[language] = [_text(text, f"{where}.examples.{language}[{index}]") for index, text in enumerate(phrasings)]
    resolutions_raw = raw.get("resolutions") or []
    if not isinstance(resolutions_raw, list):
        raise PlaybookError(f"{where}.resolutions: expected a list")
    resolutions = [_resolution(item, f"{where}.resolutions[{index}]") for index, item in enumerate(resolutions_raw)]
    return TopicSpec(slug=slug, names=names, examples=examples, keywords=keywords, cancellation=cancellation, resolutions=resolutions)


def _resolution(raw, where: str) -> ResolutionSpec:
    raw = _mapping(
        raw, where, {"slug", "title", "policy", "promises", "answers", "exception"}, {"slug", "title", "answers"}
    )
    slug = _slug(raw["slug"], f"{where}.slug")
    where = f"resolution {slug}"
    title = _text(raw["title"], f"{where}.title")
    if len(title) > 200:
        raise PlaybookError(f"{where}.title: longer than 200 characters")
    policy = _text(raw.get("policy"), f"{where}.policy", required=False)
    promises = raw.get("promises") or {}
    if not isinstance(promises, dict):
        raise PlaybookError(f"{where}.promises: expected a mapping such as {{refund_max_eur: 50}}")
    for key, value in promises.items():
        if not isinstance(key, str) or not PROMISE_KEY_RE.match(key):
            raise PlaybookError(f"{where}.promises: {key!r} must be lowercase_with_underscores")
        if not isinstance(value, (int, float, str, bool)) or isinstance(value, str) and _CONTROL_RE.search(value):
            raise PlaybookError(f"{where}.promises.{key}: expected a number, a text or true/false")
    answers = validate_answers(raw["answers"], f"{where}.answers")
    exception = _per_language_text(raw["exception"], f"{where}.exception") if raw.get("exception") else {}
    return ResolutionSpec(slug=slug, title=title, policy=policy, promises=dict(promises), answers=answers, exception=exception)


def validate_answers(raw, where: str = "answers") -> dict:
    """{lang: {channel: text}} with a default wording in every language and English present."""
    if not isinstance(raw, dict) or not raw:
        raise PlaybookError(f"{where}: expected languages, e.g. {{en: {{default: ...}}}}")
    answers: dict[str, dict[str, str]] = {}
    for language, variants in raw.items():
        language = _language(language, where)
        if not isinstance(variants, dict):
            raise PlaybookError(f"{where}.{language}: expected channels ({', '.join(ANSWER_CHANNELS)})")
        unknown = set(map(str, variants)) - set(ANSWER_CHANNELS)
        if unknown:
            raise PlaybookError(f"{where}.{language}: unknown channel(s) {', '.join(sorted(unknown))}; use {', '.join(ANSWER_CHANNELS)}")
        if "default" not in variants:
            raise PlaybookError(f"{where}.{language}: needs a 'default' answer")
        answers[language] = {
            channel: _text(text, f"{where}.{language}.{channel}", placeholders=True) for channel, text in variants.items()
        }
    if "en" not in answers:
        raise PlaybookError(f"{where}: needs an English ('en') answer, the last fallback")
    return answers


# --- canonical writing -----------------------------------------------------------------


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _scalar(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def dump(topics: list[TopicSpec]) -> str:
    lines = [HEADER.rstrip("\n"), "topics:" if topics else "topics: []"]
    for topic in topics:
        lines.append(f"  - slug: {topic.slug}")
        lines.append("    name:")
        lines += [f"      {language}: {_q(topic.names[language])}" for language in ordered_languages(topic.names)]
        if topic.cancellation:
            lines.append("    cancellation: true")
        if topic.keywords:
            lines.append("    keywords: [" + ", ".join(_q(keyword) for keyword in topic.keywords) + "]")
        examples = {language: texts for language, texts in topic.examples.items() if texts}
        if examples:
            lines.append("    examples:")
            for language in ordered_languages(examples):
                lines.append(f"      {language}:")
                lines += [f"        - {_q(text)}" for text in examples[language]]
        if topic.resolutions:
            lines.append("    resolutions:")
        for resolution in topic.resolutions:
            lines.append(f"      - slug: {resolution.slug}")
            lines.append(f"        title: {_q(resolution.title)}")
            if resolution.policy:
                lines.append(f"        policy: {_q(resolution.policy)}")
            if resolution.promises:
                lines.append("        promises:")
                lines += [f"          {key}: {_scalar(resolution.promises[key])}" for key in sorted(resolution.promises)]
            lines.append("        answers:")
            for language in ordered_languages(resolution.answers):
                lines.append(f"          {language}:")
                variants = resolution.answers[language]
                lines += [f"            {channel}: {_q(variants[channel])}" for channel in ANSWER_CHANNELS if variants.get(channel)]
            if resolution.exception:
                lines.append("        exception:")
                lines += [
                    f"          {language}: {_q(resolution.exception[language])}"
                    for language in ordered_languages(resolution.exception)
                ]
    return "\n".join(lines) + "\n"
