"""SMS length cases: (text, encoding, units, segments), as the network bills them.

One table for both counters: channels_app/phone/sms.py (test_sms_length.py)
and the reply box's static/unisono/sms_counter.js (tests/e2e/test_phone_live.py
runs it in Chromium), so the two cannot drift apart.
"""

from __future__ import annotations

SMS_LENGTH_CASES: list[tuple[str, str, int, int]] = [
    ("", "GSM-7", 0, 0),
    ("Hi Piet", "GSM-7", 7, 1),
    ("a" * 160, "GSM-7", 160, 1),
    ("a" * 161, "GSM-7", 161, 2),
    ("a" * 306, "GSM-7", 306, 2),
    ("a" * 307, "GSM-7", 307, 3),
    ("Prijs: 5 €", "GSM-7", 11, 1),  # the euro sign takes two septets
    ("{" * 80, "GSM-7", 160, 1),
    ("{" * 81, "GSM-7", 162, 2),
    ("a" * 152 + "^", "GSM-7", 154, 1),  # an escape counts two
    ("a" * 152 + "^" + "a" * 151, "GSM-7", 305, 2),
    ("a" * 152 + "^" + "a" * 152, "GSM-7", 306, 3),  # the escape moves whole to segment 2: 152 + 153 + 1
    ("[~]|\\\f", "GSM-7", 12, 1),  # every other extension character
    ("Dag Søren, æble på vej", "GSM-7", 22, 1),
    ("Regel 1\nRegel 2\r\n", "GSM-7", 17, 1),  # line breaks are GSM-7
    ("ΔΦΓΛΩΠΨΣΘΞ", "GSM-7", 10, 1),  # Greek capitals in the GSM alphabet
    ("Ça va", "GSM-7", 5, 1),  # capital Ç is GSM-7...
    ("ça va", "UCS-2", 5, 1),  # ...lower-case ç is not
    ("`quoted`", "UCS-2", 8, 1),  # neither is a backtick
    ("Hej 😊", "UCS-2", 6, 1),  # an emoji is two UTF-16 units
    ("a" * 68 + "😊", "UCS-2", 70, 1),
    ("a" * 69 + "😊", "UCS-2", 71, 2),
    ("a" * 66 + "😊" + "a" * 66, "UCS-2", 134, 3),  # the emoji's halves stay together: 66 + 67 + 1
    ("ł" * 70, "UCS-2", 70, 1),
    ("ł" * 71, "UCS-2", 71, 2),
    ("ł" * 134, "UCS-2", 134, 2),
    ("ł" * 135, "UCS-2", 135, 3),
    ("€" * 100 + "ł", "UCS-2", 101, 2),  # in UCS-2 the euro sign is one unit again
]
