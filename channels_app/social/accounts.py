"""The X accounts Unisono answers for, from the environment.

The ``X_*`` settings describe the first account ("default"); ``X_ACCOUNTS``
(a JSON list) adds more. An account needs a bearer token or the four OAuth 1.0a
user-context values; without any, X is simply not configured.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_NAME = "default"
_FIELDS = ("bearer_token", "consumer_key", "consumer_secret", "access_token", "access_token_secret")


@dataclass(frozen=True)
class XAccount:
    name: str
    user_id: str = ""
    bearer_token: str = ""
    consumer_key: str = ""
    consumer_secret: str = ""
    access_token: str = ""
    access_token_secret: str = ""

    @property
    def has_user_context(self) -> bool:
        """OAuth 1.0a user context: needed to read DMs and to post."""
        return all((self.consumer_key, self.consumer_secret, self.access_token, self.access_token_secret))

    @property
    def configured(self) -> bool:
        return bool(self.bearer_token) or self.has_user_context


def configured_accounts() -> list[XAccount]:
    accounts: list[XAccount] = []
    first = XAccount(
        name=DEFAULT_NAME,
        user_id=settings.X_USER_ID,
        bearer_token=settings.X_BEARER_TOKEN,
        consumer_key=settings.X_CONSUMER_KEY,
        consumer_secret=settings.X_CONSUMER_SECRET,
        access_token=settings.X_ACCESS_TOKEN,
        access_token_secret=settings.X_ACCESS_TOKEN_SECRET,
    )
    if first.configured:
        accounts.append(first)
    for index, entry in enumerate(getattr(settings, "X_ACCOUNTS", []) or []):
        if not isinstance(entry, dict) or not str(entry.get("name", "")).strip():
            raise ImproperlyConfigured(f"X_ACCOUNTS[{index}] must be an object with a name")
        account = XAccount(
            name=str(entry["name"]).strip(),
            user_id=str(entry.get("user_id", "") or ""),
            **{field: str(entry.get(field, "") or "") for field in _FIELDS},
        )
        if any(existing.name == account.name for existing in accounts):
            raise ImproperlyConfigured(f"X_ACCOUNTS: the account name {account.name!r} is used twice")
        if account.configured:
            accounts.append(account)
    return accounts


def is_configured() -> bool:
    return bool(configured_accounts())


def get(name: str) -> XAccount | None:
    return next((account for account in configured_accounts() if account.name == name), None)


def webhook_accounts(name: str | None = None) -> list[XAccount]:
    """The accounts a webhook URL serves: all that have a consumer secret, or
    with ``name`` (the per-app URL), those of the X app that account belongs
    to (the ones sharing its consumer secret). One X app signs all its
    deliveries with its consumer secret, whichever subscribed account they are for."""
    with_secret = [account for account in configured_accounts() if account.consumer_secret]
    if name is None:
        return with_secret
    named = next((account for account in with_secret if account.name == name), None)
    return [account for account in with_secret if named and account.consumer_secret == named.consumer_secret]


def consumer_secrets(serving: list[XAccount]) -> list[str]:
    """The distinct consumer secrets (one per X app) of ``serving``."""
    return list(dict.fromkeys(account.consumer_secret for account in serving))
