"""HTTP and websocket entry point, served by Daphne."""

from __future__ import annotations

import asyncio
import os
import weakref

import django
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class SyncStackASGIHandler(ASGIHandler):
    """Django's ASGI handler, running the middleware and view in one thread hop.

    Every view here is sync, and WhiteNoise is sync-only middleware. Django's
    own handler builds an async middleware chain, so each request went from
    the event loop to a thread (WhiteNoise), back to the loop (async_to_sync),
    then to the thread again for every sync hook of every other middleware and
    for the view: a dozen switches per request, each contending for the GIL
    with the websockets. Built sync, the chain runs as under WSGI, entered
    once from the loop.

    At most HTTP_CONCURRENCY requests per process run at once; the others
    wait on the event loop, where waiting costs nothing. Each request has a
    thread of its own, and the event loop (which writes every websocket frame)
    is one more thread asking for the GIL: with dozens of runnable request
    threads under a burst it got a sliver of the interpreter, and broadcasts
    fell seconds behind; the requests also queued for a pooled database
    connection and failed after DB_POOL_TIMEOUT.
    """

    def __init__(self) -> None:
        super().__init__()
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(settings.HTTP_CONCURRENCY)
        async with slots:
            # The request's thread-sensitive context (ASGIHandler.__call__)
            # keeps this in the same thread as the request_started/finished
            # signals, which is where the request's database connection lives.
            return await sync_to_async(self.get_response, thread_sensitive=True)(request)


# Django must be set up before the consumers (and their models) are imported.
django.setup(set_prefix=False)
django_asgi_app = SyncStackASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from inbox.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
