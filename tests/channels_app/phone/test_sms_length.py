"""SMS length and segments, as the network bills them."""

from __future__ import annotations

import pytest

from channels_app.phone.sms import sms_length


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("Hi Piet", "GSM-7", 7, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("Prijs: 5 €", "GSM-7", 11, 1),  # the euro sign takes two septets
        ("{" * 80, "GSM-7", 160, 1),
        ("{" * 81, "GSM-7", 162, 2),
        ("Dag Søren, æble på vej", "GSM-7", 22, 1),
        ("Hej 😊", "UCS-2", 6, 1),  # an emoji is two UTF-16 units
        ("ł" * 70, "UCS-2", 70, 1),
        ("ł" * 71, "UCS-2", 71, 2),
        ("ł" * 134, "UCS-2", 134, 2),
        ("ł" * 135, "UCS-2", 135, 3),
    ],
)
def test_length_and_segments(text, encoding, units, segments):
    length = sms_length(text)

    assert (length.encoding, length.units, length.segments) == (encoding, units, segments)


def test_one_character_outside_gsm_switches_the_whole_message_to_ucs2():
    assert sms_length("a" * 100).segments == 1
    assert sms_length("a" * 100 + "ć").segments == 2


def test_remaining_counts_down_in_the_last_segment():
    assert sms_length("a" * 150).remaining == 10
    assert sms_length("a" * 200).remaining == 153 * 2 - 200
