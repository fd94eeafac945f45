from __future__ import annotations

import pytest

from resolutions.tone import check, rules_for_client


@pytest.mark.parametrize(
    "text",
    ["Dear customer, thanks for writing.", "Beste klant, bedankt voor je bericht.", "Geachte klant,", "Beste relatie,", "Kære kunde, tak.", "Kjære kunde, takk.", "BESTE  KLANT"],
)
def test_generic_salutations_are_flagged_in_every_language(text):
    assert [warning.code for warning in check(text)] == ["generic_salutation"]


@pytest.mark.parametrize(
    "text", ["That is not our fault.", "Dat is niet onze schuld.", "Det er ikke vores skyld.", "Det er ikke vår skyld."]
)
def test_blame_phrases_are_flagged(text):
    assert "blame" in [warning.code for warning in check(text)]


def test_a_missing_name_is_flagged_when_the_name_is_known():
    assert [warning.code for warning in check("Hoi, we hebben het geregeld.", first_name="Annelies")] == ["no_name"]
    assert check("Hoi Annelies, we hebben het geregeld.", first_name="Annelies") == []
    assert check("Hoi, we hebben het geregeld.") == []


def test_a_warm_personal_reply_has_no_warnings():
    assert check("Hej Søren, undskyld ventetiden. Jeg har ordnet det.", first_name="Søren") == []


def test_the_composer_gets_the_same_phrases():
    rules = rules_for_client()
    assert "beste klant" in rules["salutations"] and "niet onze schuld" in rules["blame"]
