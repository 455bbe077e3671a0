"""Django over ASGI with one thread hop per request (docs/adr/0002-one-thread-hop-per-request.md).

Django's ``ASGIHandler`` runs the middleware chain in async mode. Every classic middleware then
runs its ``process_request`` and ``process_response`` through ``sync_to_async``; one sync-only
middleware in the chain adds an ``async_to_sync`` back to the event loop; the signals and the
sync view add more. Each hop is a hand-over between the event loop and a worker thread, and
they were the largest cost of a cached page.

Frontline's views are all sync. This handler reads the request body on the event loop, then
does everything else in **one** call on the request's thread: ``request_started``, building
the request, the sync middleware chain and view, and ``response.close()`` (which sends
``request_finished``, returning the database connection). Only streaming responses (file
downloads) are sent chunk by chunk as Django's own handler does.
"""

from __future__ import annotations

import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse, HttpResponse
from django.urls import get_resolver, set_script_prefix

logger = logging.getLogger("django.request")

Message = dict[str, Any]

#: Threads that run requests in one web process. Requests spend most of their time on the CPU
#: (templates, Python) and a little waiting for PostgreSQL or Redis on the same machine: a few
#: threads keep the process busy; more only contend for the GIL.
WEB_THREADS = int(os.environ.get("WEB_THREADS", "4"))
_executor = ThreadPoolExecutor(max_workers=WEB_THREADS, thread_name_prefix="http")


class SyncChainASGIHandler(ASGIHandler):
    """An ``ASGIHandler`` whose middleware chain and view run sync, in one hop."""

    def __init__(self) -> None:
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        # No ThreadSensitiveContext: Django's opens one per request, and with it a new executor
        # and a new thread, started and joined for every request. The request runs on a pooled
        # thread instead (the loop's executor), as under WSGI; nothing of it lives per thread.
        if scope["type"] != "http":
            raise ValueError(f"This handler serves HTTP only, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await sync_to_async(self._respond, thread_sensitive=False, executor=_executor)(
                scope, body_file
            )
        finally:
            body_file.close()
        if not response.streaming:
            await self._send_whole(response, send)
            return
        try:
            await self._send_streaming(response, send)
        finally:
            await sync_to_async(response.close, thread_sensitive=False, executor=_executor)()

    def _respond(self, scope: dict[str, Any], body_file: Any) -> Any:
        """Everything between the body and the bytes, on the request's thread."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        response: Any
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            response = error_response
        else:
            try:
                response = self.get_response(request)
            except Exception:  # get_response turns exceptions into responses; this is the last net
                logger.exception("Unhandled error outside the middleware chain")
                response = self.handle_uncaught_exception(request, get_resolver(), sys.exc_info())  # type: ignore[arg-type]
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        if not response.streaming:
            # The body is in memory: close now, on this thread (request_finished releases the
            # database connection here, not from the event loop).
            response.close()
        return response

    @staticmethod
    def _start(response: HttpResponse) -> Message:
        headers = [
            (
                header.encode("ascii") if isinstance(header, str) else header,
                value.encode("latin1") if isinstance(value, str) else value,
            )
            for header, value in response.items()
        ]
        headers.extend((b"Set-Cookie", c.OutputString().encode("ascii")) for c in response.cookies.values())
        return {"type": "http.response.start", "status": response.status_code, "headers": headers}

    async def _send_whole(self, response: HttpResponse, send: Any) -> None:
        await send(self._start(response))
        await send({"type": "http.response.body", "body": response.content})

    async def _send_streaming(self, response: Any, send: Any) -> None:
        """A streamed body (a file), read on the request's thread chunk by chunk."""
        await send(self._start(response))
        if response.is_async:
            async for part in response.streaming_content:
                await send({"type": "http.response.body", "body": bytes(part), "more_body": True})
        else:
            chunks = iter(response.streaming_content)

            def read() -> Any:
                return next(chunks, None)

            while (
                part := await sync_to_async(read, thread_sensitive=False, executor=_executor)()
            ) is not None:
                await send({"type": "http.response.body", "body": bytes(part), "more_body": True})
        await send({"type": "http.response.body", "body": b""})
