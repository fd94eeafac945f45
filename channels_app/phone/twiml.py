"""The TwiML we answer calls and messages with.

The greeting is spoken in the language configured for the number that was
called (TWILIO_NUMBER_LANGUAGES), so a Dutch number greets in Dutch.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

# Twilio transcribes recordings of more than 2 and less than 120 seconds only
# (warning 13617, "Recording length is out of range for transcription"): a
# longer voicemail would arrive without its transcript. Two minutes is also
# plenty for "who you are and what it is about".
MAX_VOICEMAIL_SECONDS = 120

@dataclass(frozen=True)
class Prompts:
    say_language: str  # Twilio <Say> language
    greeting: str
    thanks: str
    no_message: str
    # The caller withheld their number: no promise to call back, ask how to reach them.
    greeting_withheld: str
    thanks_withheld: str
    no_message_withheld: str


_PROMPTS = {
    "en": Prompts(
        "en-GB",
        "Thank you for calling. Nobody can take your call right now. Please leave a message after the tone "
        "with your name and what it is about, and we will call you back.",
        "Thank you. We have your message and will call you back.",
        "We did not hear a message. We will call you back. Goodbye.",
        "Thank you for calling. Nobody can take your call right now, and we cannot see your number. Please leave "
        "a message after the tone with your name, what it is about, and a phone number or email address where "
        "we can reach you.",
        "Thank you. We have your message.",
        "We did not hear a message. Please call again, or ask for a call back on our website. Goodbye.",
    ),
    "nl": Prompts(
        "nl-NL",
        "Bedankt voor uw oproep. Op dit moment kan niemand u te woord staan. Spreek na de toon uw naam in en "
        "waar het over gaat, dan bellen wij u terug.",
        "Dank u wel. We hebben uw bericht en bellen u terug.",
        "We hebben geen bericht gehoord. We bellen u terug. Tot ziens.",
        "Bedankt voor uw oproep. Op dit moment kan niemand u te woord staan, en we zien uw nummer niet. Spreek "
        "na de toon uw naam in, waar het over gaat, en een telefoonnummer of e-mailadres waarop we u kunnen bereiken.",
        "Dank u wel. We hebben uw bericht.",
        "We hebben geen bericht gehoord. Bel gerust opnieuw, of vraag een terugbelverzoek aan op onze website. "
        "Tot ziens.",
    ),
    "da": Prompts(
        "da-DK",
        "Tak fordi du ringer. Lige nu kan ingen tage dit opkald. Læg en besked efter tonen med dit navn og "
        "hvad det drejer sig om, så ringer vi dig op.",
        "Tak. Vi har din besked og ringer dig op.",
        "Vi hørte ingen besked. Vi ringer dig op. Farvel.",
        "Tak fordi du ringer. Lige nu kan ingen tage dit opkald, og vi kan ikke se dit nummer. Læg en besked "
        "efter tonen med dit navn, hvad det drejer sig om, og et telefonnummer eller en e-mailadresse, hvor vi "
        "kan kontakte dig.",
        "Tak. Vi har din besked.",
        "Vi hørte ingen besked. Ring gerne igen, eller bed om at blive ringet op på vores hjemmeside. Farvel.",
    ),
    "nb": Prompts(
        "nb-NO",
        "Takk for at du ringer. Akkurat nå kan ingen ta telefonen. Legg igjen en beskjed etter tonen med navnet "
        "ditt og hva det gjelder, så ringer vi deg tilbake.",
        "Takk. Vi har beskjeden din og ringer deg tilbake.",
        "Vi hørte ingen beskjed. Vi ringer deg tilbake. Ha det bra.",
        "Takk for at du ringer. Akkurat nå kan ingen ta telefonen, og vi ser ikke nummeret ditt. Legg igjen en "
        "beskjed etter tonen med navnet ditt, hva det gjelder, og et telefonnummer eller en e-postadresse vi "
        "kan nå deg på.",
        "Takk. Vi har beskjeden din.",
        "Vi hørte ingen beskjed. Ring gjerne igjen, eller be om å bli ringt opp på nettsiden vår. Ha det bra.",
    ),
}


def language_for(called_number: str) -> str:
    language = settings.TWILIO_NUMBER_LANGUAGES.get(called_number.strip(), settings.TWILIO_DEFAULT_LANGUAGE)
    return language if language in _PROMPTS else "en"


def _say(response: VoiceResponse, prompts: Prompts, text: str) -> None:
    response.say(text, language=prompts.say_language)


def voicemail(*, called_number: str, recording_url: str, withheld: bool = False) -> str:
    """Greet, then record a voicemail with transcription. Both the recording
    and the transcription are posted to ``recording_url``. ``withheld``: the
    caller hid their number, so the greeting asks how to reach them instead
    of promising a call back."""
    prompts = _PROMPTS[language_for(called_number)]
    response = VoiceResponse()
    _say(response, prompts, prompts.greeting_withheld if withheld else prompts.greeting)
    response.record(
        action=recording_url,
        method="POST",
        max_length=MAX_VOICEMAIL_SECONDS,
        play_beep=True,
        transcribe=True,
        transcribe_callback=recording_url,
    )
    # Only reached when <Record> heard nothing (Twilio then skips the action).
    _say(response, prompts, prompts.no_message_withheld if withheld else prompts.no_message)
    response.hangup()
    return str(response)


def thanks(*, called_number: str, withheld: bool = False) -> str:
    prompts = _PROMPTS[language_for(called_number)]
    response = VoiceResponse()
    _say(response, prompts, prompts.thanks_withheld if withheld else prompts.thanks)
    response.hangup()
    return str(response)


def empty() -> str:
    """Nothing to say or send back (Twilio wants a TwiML document)."""
    return str(MessagingResponse())
