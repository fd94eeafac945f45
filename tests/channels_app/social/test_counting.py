"""X's weighted character count (twitter-text v3 rules)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from channels_app.social.counting import MAX_WEIGHTED_LENGTH, fits, js_data, urls, weighted_length

# Texts and the weightedLength that twitter-text 3.1.0's parseTweet gives them
# (computed once with the npm package; mostly its own conformance cases). The
# browser test runs the same table through static/unisono/x_counter.js.
CASES = json.loads((Path(__file__).parent / "fixtures" / "x_weighted_lengths.json").read_text(encoding="utf-8"))
STATIC = Path(__file__).resolve().parents[3] / "static" / "unisono"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", 5),
        ("Hoi Anna, sorry!", 16),
        ("é", 1),  # e + combining accent: NFC makes it one character
        ("Ærø ÅØ ß ĳ", 10),  # Latin letters count 1
        ("Привет", 6),  # Cyrillic counts 1
        ("日本語", 6),  # CJK counts 2
        ("안녕", 4),  # Hangul syllables count 2
        ("😀", 2),
        ("👍🏽", 2),  # emoji + skin tone: one emoji
        ("👨‍👩‍👧", 2),  # a ZWJ family: one emoji
        ("🇳🇱", 2),  # a flag: one emoji
        ("1️⃣", 2),  # a keycap
        ("“quoted” — dash", 15),  # quotes and dashes (U+2010-201F) count 1
        ("…", 2),  # but the ellipsis (U+2026) is outside X's one-character ranges
        ("https://example.com/a/very/long/path/that/goes/on/and/on?utm_source=x", 23),
        ("see https://t.co/abc and www.unisono.nl/help.", 4 + 23 + 5 + 23 + 1),
        ("write to anna@example.org", 25),  # the domain of an email is not a link
        ("x.ai", 23),  # any TLD twitter-text knows, not a short list
        ("foo.tech and shop.amsterdam", 23 + 5 + 23),
        ("foo.baz", 7),  # not a TLD
        ("tar.bz2", 7),
        ("https://unisono.nl/t/abc)", 24),
    ],
)
def test_weighted_length_counts_as_x_does(text, expected):
    assert weighted_length(text) == expected


def test_the_limit_is_280_weighted_characters():
    assert MAX_WEIGHTED_LENGTH == 280
    assert fits("a" * 280)
    assert not fits("a" * 281)
    assert fits("日" * 140)
    assert not fits("日" * 140 + "a")


def test_a_long_link_counts_23_so_a_long_reply_with_links_can_fit():
    link = "https://www.example.com/support/articles/" + "x" * 300
    text = "Hi Anna, this explains it: " + link
    assert len(text) > 280
    assert weighted_length(text) == 27 + 23
    assert urls(text) == [link]


def test_trailing_punctuation_is_not_part_of_the_link():
    assert urls("Look at example.com/help.") == ["example.com/help"]
    assert urls("(see https://unisono.nl/t/abc)") == ["https://unisono.nl/t/abc"]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[f"{n:02d}" for n in range(len(CASES))])
def test_weighted_length_agrees_with_twitter_text(text, expected):
    assert weighted_length(text) == expected


def test_links_follow_twitter_texts_url_rules():
    assert urls("x.ai/grok, foo.tech and https://x.ai") == ["x.ai/grok", "foo.tech", "https://x.ai"]
    assert urls("foo.baz #test.com @test.com $TVI.CA john.doe.gov@mail.com") == []
    assert urls("http://no-tld http://localhost/ ftp://example.com/") == []  # "/example.com" is not a link either
    assert urls("I really like http://t.co/pbY2NfTZ's website") == ["http://t.co/pbY2NfTZ"]
    assert urls("text http://en.wikipedia.org/wiki/Primer_(film)") == ["http://en.wikipedia.org/wiki/Primer_(film)"]
    assert urls("これは日本語です。example.com/path/index.html中国語") == ["example.com/path/index.html"]


def test_the_browser_counter_runs_the_same_patterns():
    # x_counter.js reads its URL patterns and TLD list from this generated file
    assert (STATIC / "x_url_data.js").read_text(encoding="utf-8") == js_data(), (
        "static/unisono/x_url_data.js is stale: python -m channels_app.social.counting > static/unisono/x_url_data.js"
    )
    counter = (STATIC / "x_counter.js").read_text(encoding="utf-8")
    assert "window.unisonoXUrlData" in counter and "TLDS" not in counter
