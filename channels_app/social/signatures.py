"""X's webhook security: the CRC answer and the POST signature.

Both are ``"sha256=" + base64(HMAC-SHA256(key=consumer secret, message))``:
the message is the ``crc_token`` for the CRC, the raw request body for a POST
(header ``x-twitter-webhooks-signature``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def signature(consumer_secret: str, message: bytes) -> str:
    digest = hmac.new(consumer_secret.encode(), msg=message, digestmod=hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def crc_response_token(consumer_secret: str, crc_token: str) -> str:
    return signature(consumer_secret, crc_token.encode())


def matching_secret(secrets: list[str], body: bytes, header: str) -> str | None:
    """The secret ``header`` was made with, if any (each compared in constant time)."""
    if not header or not header.startswith("sha256="):
        return None
    matches = [secret for secret in secrets if hmac.compare_digest(signature(secret, body), header)]
    return matches[0] if matches else None
