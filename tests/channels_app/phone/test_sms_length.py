"""SMS length and segments, as the network bills them. The cases are shared
with the reply box's JavaScript counter (tests/e2e/test_phone_live.py)."""

from __future__ import annotations

import pytest

from channels_app.phone.sms import sms_length
from tests.channels_app.phone.sms_length_cases import SMS_LENGTH_CASES


@pytest.mark.parametrize(("text", "encoding", "units", "segments"), SMS_LENGTH_CASES)
def test_length_and_segments(text, encoding, units, segments):
    length = sms_length(text)

    assert (length.encoding, length.units, length.segments) == (encoding, units, segments)


def test_one_character_outside_gsm_switches_the_whole_message_to_ucs2():
    assert sms_length("a" * 100).segments == 1
    assert sms_length("a" * 100 + "ć").segments == 2


def test_remaining_counts_down_in_the_last_segment():
    assert sms_length("a" * 150).remaining == 10
    assert sms_length("a" * 200).remaining == 153 * 2 - 200
