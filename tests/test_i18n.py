"""The interface in en, nl, da and nb: Accept-Language, the language switch, and complete catalogs."""

from __future__ import annotations

import gettext
import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from channels_app.base import Sender
from channels_app.webform import links
from inbox import actions
from tests.factories import TicketFactory, inbound

pytestmark = pytest.mark.django_db

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
TRANSLATED = [code for code, _ in settings.LANGUAGES if code != "en"]


@pytest.fixture
def web_ticket(db):
    received = actions.receive(
        inbound(
            channel="web",
            provider_id=f"form:{uuid.uuid4()}",
            senders=(Sender(kind="email", value="anna@example.org"),),
            name="Anna de Vries",
            body="Mijn router valt steeds weg.",
            meta={"form": "contact"},
        )
    )
    return received.message.ticket


# --- customer pages -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", ["Neem contact op", "Je naam", "Waarmee kunnen we je helpen?", "Versturen", "Je privacy:"]),
        ("da", ["Kontakt os", "Dit navn", "Hvad kan vi hjælpe dig med?", "Vil du hellere tale?", "Dit privatliv:"]),
        ("nb", ["Kontakt oss", "Navnet ditt", "Hva kan vi hjelpe deg med?", "Vil du heller snakke?", "Personvernet ditt:"]),
    ],
)
def test_the_contact_form_speaks_the_language_the_browser_asks_for(client, language, expected):
    response = client.get("/contact/", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    for text in expected:
        assert text in html, text
    assert "Tell us what's going on" not in html


def test_without_accept_language_the_contact_form_is_english(client):
    html = client.get("/contact/").content.decode()

    assert '<html lang="en">' in html
    assert "Contact us" in html and "Your name" in html


def test_an_unsupported_browser_language_falls_back_to_english(client):
    html = client.get("/contact/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").content.decode()

    assert "Contact us" in html


def test_form_errors_are_in_the_customers_language(client):
    response = client.post(
        "/contact/", {"submission_id": str(uuid.uuid4()), "email": "mette@example.dk", "message": ""}, HTTP_ACCEPT_LANGUAGE="da"
    )

    html = response.content.decode()
    assert "Næsten færdig: kig lige på de felter, der er markeret herunder." in html
    assert "Fortæl os, hvad der er sket, så vi kan hjælpe dig." in html


def test_the_customer_ticket_page_is_dutch_and_the_message_body_is_left_alone(client, web_ticket):
    response = client.get(f"/t/{links.make_ticket_token(web_ticket)}/", HTTP_ACCEPT_LANGUAGE="nl-NL,nl;q=0.9")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Jouw gesprek met ons" in html
    assert "Iedereen met deze link kan dit gesprek lezen" in html
    assert "Mijn router valt steeds weg." in html  # data, not translated


def test_an_invalid_customer_link_explains_itself_in_norwegian(client):
    response = client.get("/t/not-a-real-token/", HTTP_ACCEPT_LANGUAGE="nb")

    html = response.content.decode()
    assert "Denne lenken virker ikke" in html
    assert "Står du fortsatt fast?" in html


# --- the agent inbox ------------------------------------------------------------------


def test_the_inbox_list_is_dutch_for_a_dutch_agent(client, agent, queue):
    TicketFactory(queue=queue, subject="Factuur klopt niet")
    client.force_login(agent)

    response = client.get("/inbox/", HTTP_ACCEPT_LANGUAGE="nl")

    html = response.content.decode()
    assert response.status_code == 200
    for text in ["Onderwerp", "Toegewezen aan", "Niet toegewezen", "Afmelden", "Sneltoetsen", "Nieuw"]:
        assert text in html, text
    assert "Factuur klopt niet" in html
    assert "No tickets match" not in html


def test_the_sign_in_page_is_danish(client):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="da").content.decode()

    assert "Log ind" in html and "Brugernavn" in html and "Adgangskode" in html


# --- the language switch --------------------------------------------------------------


def test_every_page_offers_the_language_switch(client):
    html = client.get("/contact/").content.decode()

    assert 'action="/i18n/setlang/"' in html
    for code in ("en", "nl", "da", "nb"):
        assert f'<option value="{code}"' in html


def test_the_language_switch_overrides_the_browser_language(client):
    response = client.post("/i18n/setlang/", {"language": "nb", "next": "/contact/"}, HTTP_ACCEPT_LANGUAGE="nl")

    assert response.status_code == 302
    assert response["Location"] == "/contact/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "nb"
    html = client.get("/contact/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Kontakt oss" in html
    assert "Neem contact op" not in html


def test_the_language_switch_ignores_a_language_we_do_not_offer(client):
    # Django has French files of its own, so set_language may store "fr";
    # LocaleMiddleware only honours languages in settings.LANGUAGES.
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/contact/"})

    assert response.status_code == 302
    html = client.get("/contact/").content.decode()
    assert '<html lang="en">' in html
    assert "Contact us" in html


def test_the_language_switch_does_not_redirect_off_site(client):
    response = client.post("/i18n/setlang/", {"language": "da", "next": "https://evil.example/"})

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


# --- the catalogs ---------------------------------------------------------------------


def _unquote(quoted: str) -> str:
    body = quoted.strip()[1:-1]
    return re.sub(r'\\(["\\nt])', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def parse_po(path: Path) -> list[dict]:
    """A small .po reader: entries with their flags, context, id and translation.

    Enough for the files makemessages writes (no plurals in our catalog yet;
    a plural entry shows up with its msgstr[n] lines joined and is checked too).
    """
    entries: list[dict] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry: dict = {"flags": set(), "msgctxt": None, "msgid": "", "msgstr": ""}
        field = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#~"):
                entry["flags"].add("obsolete")
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                entry[field] += _unquote(line)
            else:
                keyword, _, rest = line.partition(" ")
                field = "msgstr" if keyword.startswith("msgstr") else keyword
                entry.setdefault(field, "")
                entry[field] = (entry[field] or "") + _unquote(rest)
        if field is not None or entry["flags"]:
            entries.append(entry)
    return entries


PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_catalog_entry_is_translated_and_none_is_fuzzy(language):
    entries = parse_po(LOCALE_DIR / language / "LC_MESSAGES" / "django.po")

    header, messages = entries[0], entries[1:]
    assert header["msgid"] == "" and f"Language: {language}\n" in header["msgstr"]
    assert len(messages) > 200
    assert [entry for entry in entries if "fuzzy" in entry["flags"]] == []
    assert [entry for entry in entries if "obsolete" in entry["flags"]] == []
    assert [entry["msgid"] for entry in messages if not entry["msgstr"].strip()] == []
    # A translation keeps every placeholder of the original, or the page breaks.
    assert [
        entry["msgid"] for entry in messages if sorted(PLACEHOLDER.findall(entry["msgid"])) != sorted(PLACEHOLDER.findall(entry["msgstr"]))
    ] == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_committed_mo_file_matches_its_po_file(language):
    """CI has no gettext: the .mo in the repository must be the compiled .po."""
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as mo_file:
        catalog = gettext.GNUTranslations(mo_file)._catalog  # noqa: SLF001 - the stdlib keeps it there

    for entry in parse_po(folder / "django.po")[1:]:
        key = entry["msgid"] if entry["msgctxt"] is None else f"{entry['msgctxt']}\x04{entry['msgid']}"
        assert catalog.get(key) == entry["msgstr"], entry["msgid"]


def test_no_customer_page_greets_with_a_generic_salutation():
    generic = ["Geachte klant", "Beste klant", "Kære kunde", "Kjære kunde", "Dear customer"]
    for language in TRANSLATED:
        text = (LOCALE_DIR / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
        assert [phrase for phrase in generic if phrase.lower() in text.lower()] == []
