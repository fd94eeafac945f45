"""The interface in en, nl, da and nb: Accept-Language, the language switch, and complete catalogs."""

from __future__ import annotations

import gettext
import json
import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from channels_app.base import Sender
from channels_app.webform import links
from inbox import actions, jsi18n
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

    Enough for the files makemessages writes. A plural entry keeps its forms
    in ``plural`` (msgstr[0], msgstr[1], ...) and all of them joined in ``msgstr``.
    """
    entries: list[dict] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry: dict = {"flags": set(), "msgctxt": None, "msgid": "", "msgid_plural": None, "msgstr": "", "plural": []}
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
                if field == "msgstr" and entry["plural"]:
                    entry["plural"][-1] += _unquote(line)
            else:
                keyword, _, rest = line.partition(" ")
                field = "msgstr" if keyword.startswith("msgstr") else keyword
                entry[field] = (entry.get(field) or "") + _unquote(rest)
                if keyword.startswith("msgstr["):
                    entry["plural"].append(_unquote(rest))
        if field is not None or entry["flags"]:
            entries.append(entry)
    return entries


PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")
# django: templates and Python; djangojs: static/unisono/*.js, served by /jsi18n/<language>/.
DOMAINS = {"django": 200, "djangojs": 40}  # the least number of entries each must have


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", TRANSLATED)
def test_every_catalog_entry_is_translated_and_none_is_fuzzy(language, domain):
    entries = parse_po(LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po")

    header, messages = entries[0], entries[1:]
    assert header["msgid"] == "" and f"Language: {language}\n" in header["msgstr"]
    assert "fuzzy" not in header["flags"]
    assert len(messages) > DOMAINS[domain]
    assert [entry for entry in entries if "fuzzy" in entry["flags"]] == []
    assert [entry for entry in entries if "obsolete" in entry["flags"]] == []
    assert [entry["msgid"] for entry in messages if not all(form.strip() for form in entry["plural"] or [entry["msgstr"]])] == []
    # A translation keeps every placeholder of the original, or the page breaks.
    assert [
        entry["msgid"]
        for entry in messages
        for form in entry["plural"] or [entry["msgstr"]]
        if _placeholders(entry["msgid"]) != _placeholders(form)
    ] == []


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", TRANSLATED)
def test_the_committed_mo_file_matches_its_po_file(language, domain):
    """CI has no gettext: the .mo in the repository must be the compiled .po."""
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    with (folder / f"{domain}.mo").open("rb") as mo_file:
        catalog = gettext.GNUTranslations(mo_file)._catalog  # noqa: SLF001 - the stdlib keeps it there

    entries = parse_po(folder / f"{domain}.po")[1:]
    for entry in entries:
        key = entry["msgid"] if entry["msgctxt"] is None else f"{entry['msgctxt']}\x04{entry['msgid']}"
        if entry["plural"]:
            assert [catalog.get((key, n)) for n in range(len(entry["plural"]))] == entry["plural"], entry["msgid"]
        else:
            assert catalog.get(key) == entry["msgstr"], entry["msgid"]
    # Nothing compiled that the .po no longer has (a stale .mo after a removed string).
    assert len({key[0] if isinstance(key, tuple) else key for key in catalog} - {""}) == len(entries)


def test_no_customer_page_greets_with_a_generic_salutation():
    generic = ["Geachte klant", "Beste klant", "Kære kunde", "Kjære kunde", "Dear customer"]
    for language in TRANSLATED:
        text = (LOCALE_DIR / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
        assert [phrase for phrase in generic if phrase.lower() in text.lower()] == []


# --- the JavaScript catalog -------------------------------------------------------------


def test_the_javascript_catalog_is_dutch_and_cached_for_a_year_at_its_versioned_url(client, django_assert_num_queries):
    digest = jsi18n.catalog("nl")[1]

    with django_assert_num_queries(0):
        response = client.get(f"/jsi18n/nl/?v={digest}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Content-Language"] == "nl"
    assert response["ETag"] == f'"{digest}"'
    assert set(response["Cache-Control"].split(", ")) == {"public", "max-age=31536000", "immutable"}
    script = response.content.decode()
    assert '"Live updates are on.": "Live-updates staan aan."' in script
    assert "Liveopdateringer" not in script  # Danish is another URL


def test_the_catalog_follows_its_url_not_the_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"

    script = client.get("/jsi18n/da/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()

    # The catalog is JSON inside the script: non-ASCII letters arrive escaped.
    assert json.dumps("Liveopdateringer er slået til.") in script
    assert json.dumps("Liveoppdateringer er på.") not in script and "Live-updates staan aan." not in script


@pytest.mark.parametrize("query", ["", "?v=from-an-older-deploy"])
def test_an_unversioned_or_stale_catalog_url_is_revalidated_every_time(client, query):
    response = client.get(f"/jsi18n/nl/{query}")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    assert "Live-updates staan aan." in response.content.decode()


def test_a_revalidation_with_the_current_etag_is_answered_304_with_the_cache_headers(client):
    digest = jsi18n.catalog("nb")[1]

    response = client.get(f"/jsi18n/nb/?v={digest}", HTTP_IF_NONE_MATCH=f'"{digest}"')

    assert response.status_code == 304
    assert "max-age=31536000" in response["Cache-Control"]


def test_there_is_no_catalog_for_a_language_we_do_not_offer(client):
    assert client.get("/jsi18n/fr/").status_code == 404


def test_the_inbox_loads_the_catalog_of_the_agents_language_before_live_js(client, agent):
    client.force_login(agent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"

    html = client.get("/inbox/").content.decode()

    catalog_url = f'/jsi18n/nl/?v={jsi18n.catalog("nl")[1]}'
    assert f'<script src="{catalog_url}" defer></script>' in html
    assert html.index(catalog_url) < html.index("unisono/live.js")


def test_customer_pages_do_not_load_the_catalog(client):
    html = client.get("/contact/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()

    assert "/jsi18n/" not in html
