"""An email backend that fails like an unreachable SMTP server a set number of
times, then hands mail to Django's locmem outbox: the provider boundary for
email, faked the way ``responses`` fakes HTTP providers."""

from __future__ import annotations

import smtplib

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

FAILURES = {"remaining": 0, "seen": 0}


class FlakyBackend(LocmemBackend):
    def send_messages(self, messages):
        FAILURES["seen"] += 1
        if FAILURES["remaining"] > 0:
            FAILURES["remaining"] -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)
