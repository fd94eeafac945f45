"""The TwiML we answer calls and messages with.

The greeting is spoken in the language configured for the number that was
called (TWILIO_NUMBER_LANGUAGES), so a Dutch number greets in Dutch.
"""

from __future__ import annotations

from django.conf import settings
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

# Twilio transcribes recordings of more than 2 and less than 120 seconds only
# (warning 13617, "Recording length is out of range for transcription"): a
# longer voicemail would arrive without its transcript. Two minutes is also
# plenty for "who you are and what it is about".
MAX_VOICEMAIL_SECONDS = 120

# language -> (Twilio <Say> language, greeting, thanks, no-recording, no caller id)
_PROMPTS = {
    "en": (
        "en-GB",
        "Thank you for calling. Nobody can take your call right now. Please leave a message after the tone "
        "with your name and what it is about, and we will call you back.",
        "Thank you. We have your message and will call you back.",
        "We did not hear a message. We will call you back. Goodbye.",
        "We cannot see your number, so we cannot call you back. Please call again with your number shown, "
        "or ask for a call back on our website. Goodbye.",
    ),
    "nl": (
        "nl-NL",
        "Bedankt voor uw oproep. Op dit moment kan niemand u te woord staan. Spreek na de toon uw naam in en "
        "waar het over gaat, dan bellen wij u terug.",
        "Dank u wel. We hebben uw bericht en bellen u terug.",
        "We hebben geen bericht gehoord. We bellen u terug. Tot ziens.",
        "We zien uw nummer niet, dus we kunnen u niet terugbellen. Bel opnieuw met zichtbaar nummer, "
        "of vraag een terugbelverzoek aan op onze website. Tot ziens.",
    ),
    "da": (
        "da-DK",
        "Tak fordi du ringer. Lige nu kan ingen tage dit opkald. Læg en besked efter tonen med dit navn og "
        "hvad det drejer sig om, så ringer vi dig op.",
        "Tak. Vi har din besked og ringer dig op.",
        "Vi hørte ingen besked. Vi ringer dig op. Farvel.",
        "Vi kan ikke se dit nummer, så vi kan ikke ringe dig op. Ring igen med synligt nummer, "
        "eller bed om at blive ringet op på vores hjemmeside. Farvel.",
    ),
    "nb": (
        "nb-NO",
        "Takk for at du ringer. Akkurat nå kan ingen ta telefonen. Legg igjen en beskjed etter tonen med navnet "
        "ditt og hva det gjelder, så ringer vi deg tilbake.",
        "Takk. Vi har beskjeden din og ringer deg tilbake.",
        "Vi hørte ingen beskjed. Vi ringer deg tilbake. Ha det bra.",
        "Vi ser ikke nummeret ditt, så vi kan ikke ringe deg tilbake. Ring igjen med synlig nummer, "
        "eller be om å bli ringt opp på nettsiden vår. Ha det bra.",
    ),
}


def language_for(called_number: str) -> str:
    language = settings.TWILIO_NUMBER_LANGUAGES.get(called_number.strip(), settings.TWILIO_DEFAULT_LANGUAGE)
    return language if language in _PROMPTS else "en"


def _say(response: VoiceResponse, language: str, index: int) -> None:
    prompts = _PROMPTS[language]
    response.say(prompts[index], language=prompts[0])


def voicemail(*, called_number: str, recording_url: str) -> str:
    """Greet, then record a voicemail with transcription. Both the recording
    and the transcription are posted to ``recording_url``."""
    language = language_for(called_number)
    response = VoiceResponse()
    _say(response, language, 1)
    response.record(
        action=recording_url,
        method="POST",
        max_length=MAX_VOICEMAIL_SECONDS,
        play_beep=True,
        transcribe=True,
        transcribe_callback=recording_url,
    )
    # Only reached when <Record> heard nothing (Twilio then skips the action).
    _say(response, language, 3)
    response.hangup()
    return str(response)


def no_caller_id(*, called_number: str) -> str:
    response = VoiceResponse()
    _say(response, language_for(called_number), 4)
    response.hangup()
    return str(response)


def thanks(*, called_number: str) -> str:
    response = VoiceResponse()
    _say(response, language_for(called_number), 2)
    response.hangup()
    return str(response)


def empty() -> str:
    """Nothing to say or send back (Twilio wants a TwiML document)."""
    return str(MessagingResponse())
