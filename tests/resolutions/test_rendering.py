from __future__ import annotations

import pytest

from resolutions import rendering
from resolutions.tone import check

ANSWERS = {
    "en": {"default": "Hi {first_name}, en default {ticket_ref}. {agent_name}", "x": "Hi {first_name}, en x", "sms": "Hi {first_name}, en sms", "phone": "Greet {first_name}: en phone"},
    "nl": {"default": "Hoi {first_name}, nl default", "x": "Hoi {first_name}, nl x", "sms": "Hoi {first_name}, nl sms", "phone": "Begroet {first_name}: nl phone"},
    "da": {"default": "Hej {first_name}, da default", "sms": "Hej {first_name}, da sms"},
    "nb": {"default": "Hei {first_name}, nb default"},
}

# (reply channel, customer language) -> (language used, answer channel used)
CASES = {
    **{(channel, "en"): ("en", variant) for channel, variant in rendering.CHANNEL_VARIANT.items()},
    **{(channel, "nl"): ("nl", variant) for channel, variant in rendering.CHANNEL_VARIANT.items()},
    # Danish has default and sms: other channels fall back to its default.
    ("web", "da"): ("da", "default"), ("email", "da"): ("da", "default"), ("sms", "da"): ("da", "sms"),
    ("x", "da"): ("da", "default"), ("phone", "da"): ("da", "default"),
    # Norwegian has only default.
    **{(channel, "nb"): ("nb", "default") for channel in rendering.CHANNEL_VARIANT},
    # A language the playbook doesn't speak falls back to English, channel first.
    **{(channel, "fr"): ("en", variant) for channel, variant in rendering.CHANNEL_VARIANT.items()},
    **{(channel, ""): ("en", variant) for channel, variant in rendering.CHANNEL_VARIANT.items()},
}


@pytest.mark.parametrize(("channel", "language"), sorted(CASES))
def test_every_channel_and_language_picks_the_right_variant(channel, language):
    expected_language, expected_channel = CASES[(channel, language)]
    rendered = rendering.render(ANSWERS, channel=channel, language=language, first_name="Annelies", ticket_ref="T-1042", agent_name="Sam")
    assert (rendered.language, rendered.channel) == (expected_language, expected_channel)
    assert rendered.text == rendering.fill(
        ANSWERS[expected_language][expected_channel], language=expected_language, first_name="Annelies", ticket_ref="T-1042", agent_name="Sam"
    )
    assert "Annelies" in rendered.text
    assert rendered.fell_back == ((expected_language, expected_channel) != (language or "en", rendering.CHANNEL_VARIANT[channel]))


def test_a_version_without_english_channel_variant_falls_back_to_english_default():
    answers = {"en": {"default": "Hi {first_name}, default"}, "nl": {"default": "Hoi {first_name}"}}
    rendered = rendering.render(answers, channel="sms", language="sv", first_name="Ole")
    assert (rendered.language, rendered.channel, rendered.text) == ("en", "default", "Hi Ole, default")


def test_placeholders_are_filled():
    rendered = rendering.render(ANSWERS, channel="web", language="en", first_name="Noor", ticket_ref="T-1042", agent_name="Sam Visser")
    assert rendered.text == "Hi Noor, en default T-1042. Sam Visser"


@pytest.mark.parametrize(
    ("language", "greeting"), [("en", "Hi there, en default"), ("nl", "Hallo, nl default"), ("da", "Hej, da default"), ("nb", "Hallo" if False else "Hei, nb default")]
)
def test_without_a_first_name_the_greeting_is_warm_and_neutral(language, greeting):
    rendered = rendering.render(ANSWERS, channel="web", language=language, first_name="", ticket_ref="T-1", agent_name="Sam")
    assert rendered.text.startswith(greeting)
    assert "{first_name}" not in rendered.text
    assert not [warning for warning in check(rendered.text) if warning.code == "generic_salutation"]


def test_a_name_later_in_the_text_drops_out_cleanly_without_a_first_name():
    assert rendering.fill("Thanks, {first_name}! See you.", language="en") == "Thanks! See you."


def test_only_known_placeholders_are_filled_never_attributes():
    assert rendering.fill("{first_name.__class__} {agent_name}", language="en", first_name="A", agent_name="B") == "{first_name.__class__} B"


def test_x_length_is_weighted_and_flagged_not_cut():
    long_text = "Hi {first_name}, " + "word " * 60 + "https://example.org/a/very/long/path/that/counts/as/23"
    rendered = rendering.render({"en": {"default": "d", "x": long_text}}, channel="x", language="en", first_name="Ann")
    assert rendered.length.over
    assert rendered.problems and "Too long for X" in rendered.problems[0]
    assert rendered.text.endswith("counts/as/23")  # nothing cut
    # URLs weigh 23 whatever their length, CJK 2 per character
    assert rendering.x_weighted_length("https://example.org/" + "a" * 100) == 23
    assert rendering.x_weighted_length("日本") == 4


def test_sms_segments_gsm7_and_ucs2():
    assert rendering.sms_segments("a" * 160) == ("GSM-7", 160, 1)
    assert rendering.sms_segments("a" * 161) == ("GSM-7", 161, 2)
    assert rendering.sms_segments("Hej Søren, æøå er GSM") [0] == "GSM-7"
    assert rendering.sms_segments("€" * 10) == ("GSM-7", 20, 1)  # extension characters count two
    assert rendering.sms_segments("Thanks 😊" + "a" * 70)[0] == "UCS-2"
    flagged = rendering.check_length("’" + "a" * 300, channel="sms")  # a curly quote forces UCS-2
    assert flagged.over and flagged.segments == 5 and "segments" in flagged.message
    assert not rendering.check_length("a" * 306, channel="sms").over  # two GSM-7 segments are fine


def test_starter_playbook_flags_are_reported_for_every_channel_and_language(refund_version):
    for language in ("en", "nl", "da", "nb"):
        for channel in ("web", "x", "sms", "phone"):
            rendered = rendering.render_version(refund_version, channel=channel, language=language, first_name="Annemarieke", ticket_ref="T-104242", agent_name="Sam")
            assert rendered.language == language
            assert rendered.text.startswith(("Hi Annemarieke", "Hoi Annemarieke", "Hej Annemarieke", "Hei Annemarieke", "Greet Annemarieke", "Spreek Annemarieke"))
