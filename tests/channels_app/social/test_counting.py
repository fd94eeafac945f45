"""X's weighted character count (twitter-text v3 rules)."""

from __future__ import annotations

import pytest

from channels_app.social.counting import MAX_WEIGHTED_LENGTH, fits, urls, weighted_length


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
