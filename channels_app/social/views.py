"""X's webhook (Account Activity) and the health banner partial.

Thin: verify, parse with ``inbound``, store through ``inbox.actions.receive``;
the banner reads ``health``. A webhook without configured credentials answers
503, so X (and whoever looks) can tell "not set up" from "refused".

Several X apps: each signs with its own consumer secret, and X's CRC says
nothing about which app asks. ``/channels/x/webhook/`` serves them all when
there is one app (however many accounts it subscribed); with more apps,
register ``/channels/x/webhook/<account>/`` for each app (any account of that
app names it). A POST is verified against the secrets of the apps the URL
serves and attributed by its ``for_user_id`` to an account of the app that
signed it, or ignored (200, logged): never stored under another account.
"""

from __future__ import annotations

import json
import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from channels_app.social import accounts, health, inbound, signatures
from channels_app.social.accounts import XAccount
from channels_app.social.models import XChannelHealth
from inbox import actions
from inbox.permissions import is_staff_member

logger = logging.getLogger(__name__)

NOT_CONFIGURED = "X is not configured on this server (no X consumer secret)."
SEVERAL_APPS = ("Several X apps are configured, and a CRC does not say which one asks: register each app's webhook "
                "at /channels/x/webhook/<account>/ (the name of one of that app's accounts).")
MAX_BODY_BYTES = 1_000_000


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, account: str | None = None) -> HttpResponse:
    serving = accounts.webhook_accounts(account)
    if not serving:
        if account is not None and accounts.webhook_accounts():
            return JsonResponse({"error": f"No X account named {account!r} with a consumer secret is configured."}, status=404)
        return JsonResponse({"error": NOT_CONFIGURED}, status=503)
    secrets = accounts.consumer_secrets(serving)
    if request.method == "GET":
        crc_token = request.GET.get("crc_token", "")
        if not crc_token:
            return JsonResponse({"error": "crc_token is missing."}, status=400)
        if len(secrets) > 1:
            return JsonResponse({"error": SEVERAL_APPS}, status=409)
        return JsonResponse({"response_token": signatures.crc_response_token(secrets[0], crc_token)})

    body = request.body
    secret = None if len(body) > MAX_BODY_BYTES else signatures.matching_secret(
        secrets, body, request.headers.get("x-twitter-webhooks-signature", "")
    )
    if secret is None:
        return JsonResponse({"error": "The signature does not match."}, status=403)
    try:
        payload = json.loads(body)
    except ValueError:
        return JsonResponse({"error": "The body is not JSON."}, status=400)
    if not isinstance(payload, dict):
        return JsonResponse({"error": "The body is not a JSON object."}, status=400)
    for_user_id = str(payload.get("for_user_id", ""))
    recipient = _account_for(for_user_id, [candidate for candidate in serving if candidate.consumer_secret == secret])
    if recipient is None:
        # Another account of the app (not configured here), or one whose user
        # id is not known yet: polling picks up the events of configured accounts.
        logger.warning("X webhook delivery for user %r matches no configured account of the app that signed it; ignored",
                       for_user_id)
        return JsonResponse({"stored": 0, "failed": 0, "ignored": f"for_user_id {for_user_id!r} is not one of ours"})
    stored = failed = 0
    for message in inbound.activity_items(payload, account=recipient.name, own_user_id=for_user_id):
        try:
            stored += int(actions.receive(message).created)
        except Exception:
            # Polling fetches it again (the cursor never moved for the webhook).
            failed += 1
            logger.exception("X webhook event %s could not be stored", message.provider_id)
    return JsonResponse({"stored": stored, "failed": failed})


def _account_for(for_user_id: str, candidates: list[XAccount]) -> XAccount | None:
    """The candidate whose X user id (from the settings, or resolved by a poll) is ``for_user_id``."""
    if not for_user_id:
        return None
    known = dict(XChannelHealth.objects.exclude(user_id="").values_list("account", "user_id"))
    return next((candidate for candidate in candidates
                 if (candidate.user_id or known.get(candidate.name, "")) == for_user_id), None)


@require_GET
def health_banner(request: HttpRequest) -> HttpResponse:
    """The banner's content, refreshed by htmx every 30 s (staff only)."""
    if not is_staff_member(request.user):
        return HttpResponse(status=403)
    return render(request, "social/_health_banner_content.html", {"x_banners": health.banners()})


@require_POST
def acknowledge_gap(request: HttpRequest, gap_id: int) -> HttpResponse:
    """"Checked" on a gap alert in the banner (staff): hide it, answer the
    banner's new content for htmx to swap in."""
    if not is_staff_member(request.user):
        return HttpResponse(status=403)
    if health.acknowledge_gap(gap_id=gap_id, by=request.user) is None:
        return JsonResponse({"error": "There is no such gap alert."}, status=404)
    return render(request, "social/_health_banner_content.html", {"x_banners": health.banners()})


@require_POST
def poll_now(request: HttpRequest) -> HttpResponse:
    """"Check X now" (staff): poll every account at once instead of waiting
    for the schedule. Queued for a worker; in the embedded default it runs in
    this process, like every task there."""
    if not is_staff_member(request.user):
        return JsonResponse({"error": "Only staff may poll X."}, status=403)
    if not accounts.is_configured():
        return JsonResponse({"error": NOT_CONFIGURED}, status=503)
    from channels_app.social.tasks import poll_x

    poll_x.delay()
    return JsonResponse({"polling": [account.name for account in accounts.configured_accounts()]}, status=202)
