from __future__ import annotations

import pytest

from audit.promises import breaches


@pytest.mark.parametrize(
    "language, text, code",
    [
        ("en", "We'll refund 80 EUR.", "amount"),
        ("en", "You get € 60 back.", "amount"),
        ("nl", "We storten 70 euro terug.", "amount"),
        ("nl", "Je krijgt €75 terug.", "amount"),
        ("da", "Vi refunderer 500 kr.", "amount"),  # 500 DKK ~ 67 EUR
        ("nb", "Du får kr 700 tilbake.", "amount"),  # 700 NOK ~ 60 EUR
    ],
)
def test_amounts_above_the_limit_in_every_language(language, text, code):
    found = breaches(sent=text, rendered="", promises={"refund_max_eur": 50}, language=language)
    assert [b.code for b in found] == [code]


@pytest.mark.parametrize("language, text", [("en", "We refund 40 EUR."), ("da", "Vi refunderer 300 kr."), ("nl", "We storten € 50 terug.")])
def test_amounts_within_the_limit_pass(language, text):
    assert breaches(sent=text, rendered="", promises={"refund_max_eur": 50}, language=language) == []


def test_refund_where_the_policy_has_none_but_not_when_negated():
    assert [b.code for b in breaches(sent="I'll refund it anyway.", rendered="", promises={}, language="en")] == ["refund"]
    assert breaches(sent="We can't refund it, sorry.", rendered="", promises={}, language="en") == []
    assert [b.code for b in breaches(sent="We gaan het vergoeden.", rendered="", promises={}, language="nl")] == ["refund"]
    assert breaches(sent="We kunnen het niet vergoeden.", rendered="", promises={}, language="nl") == []


def test_dates_only_when_the_policy_promises_none_or_a_slower_one():
    assert [b.code for b in breaches(sent="It arrives on 15 March.", rendered="", promises={}, language="en")] == ["date"]
    assert [b.code for b in breaches(sent="Je hebt hem op 3 april.", rendered="", promises={}, language="nl")] == ["date"]
    assert breaches(sent="It arrives within 2 working days.", rendered="", promises={"resend_within_working_days": 2}, language="en") == []
    assert [b.code for b in breaches(sent="Binnen 1 werkdag heb je hem.", rendered="", promises={"resend_within_working_days": 2}, language="nl")] == ["date"]


def test_the_playbooks_own_sentences_are_not_breaches():
    rendered = "Hi Anna, we refunded 45 EUR on 1 March."
    assert breaches(sent=rendered + " Have a nice day!", rendered=rendered, promises={}, language="en") == []
