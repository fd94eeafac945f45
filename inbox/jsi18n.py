"""The JavaScript catalog: the djangojs translations of static/unisono/*.js.

The language is in the path (/jsi18n/nl/), not read from the language cookie
or Accept-Language: a browser or proxy caches by URL, so the URL must say
which language it holds. The pages add ?v=<digest of the catalog>: a deploy
with other translations changes the URL, so a browser may keep one for a year.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import quote_etag
from django.views.decorators.http import require_safe
from django.views.i18n import JavaScriptCatalog

ONE_YEAR = 365 * 24 * 60 * 60
# Only our own catalogs (LOCALE_PATHS, which Django always adds): "inbox" has no
# locale folder, and naming it keeps the admin's djangojs strings out.
PACKAGES = ["inbox"]


def _stamps(language: str) -> tuple[tuple[str, int, int], ...]:
    """The compiled djangojs catalogs for a language, as (path, mtime, size)."""
    stamps = []
    for folder in settings.LOCALE_PATHS:
        compiled = Path(folder) / translation.to_locale(language) / "LC_MESSAGES" / "djangojs.mo"
        if compiled.exists():
            stat = compiled.stat()
            stamps.append((str(compiled), stat.st_mtime_ns, stat.st_size))
    return tuple(stamps)


@lru_cache(maxsize=32)
def _render(language: str, stamps: tuple) -> tuple[bytes, str]:
    # `stamps` is part of the cache key only: a .mo compiled while the
    # process runs (compilemessages under runserver) renders the catalog again.
    request = HttpRequest()
    request.method = "GET"
    with translation.override(language):
        response = JavaScriptCatalog.as_view(packages=PACKAGES)(request)
    return response.content, hashlib.sha256(response.content).hexdigest()[:16]


def catalog(language: str) -> tuple[bytes, str]:
    """The catalog script for a language in settings.LANGUAGES, and its digest."""
    return _render(language, _stamps(language))


def page_language() -> str:
    """The active language if we offer it, else the default (no LocaleMiddleware ran)."""
    try:
        return translation.get_supported_language_variant(translation.get_language() or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


@require_safe
def javascript_catalog(request: HttpRequest, language: str) -> HttpResponse:
    if language not in dict(settings.LANGUAGES):
        raise Http404("No interface in that language.")
    body, digest = catalog(language)
    response = HttpResponse(body, content_type='text/javascript; charset="utf-8"')
    response.headers["ETag"] = quote_etag(digest)
    # LocaleMiddleware would name the cookie's language, not the catalog's.
    response.headers["Content-Language"] = language
    if request.GET.get("v") == digest:
        patch_cache_control(response, public=True, max_age=ONE_YEAR, immutable=True)
    else:
        # An old or missing version: serve the current catalog, but ask again next time.
        patch_cache_control(response, public=True, no_cache=True)
    # A revalidation (If-None-Match) gets a 304 that keeps these cache headers.
    return get_conditional_response(request, etag=quote_etag(digest), response=response)
