"""ClientResponse, and the receiver that parses a connection's bytes into it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

import ketch_http1 as h1
from ketch_connector import Connection, ServerDisconnectedError

from ._exceptions import ClientPayloadError, ClientResponseError, ContentTypeError
from ._streams import EMPTY_STREAM, StreamReader

__all__ = ["ClientResponse", "RequestInfo"]


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """What was sent: ``url``, ``method``, ``headers`` and ``real_url`` (with fragment)."""

    url: URL
    method: str
    headers: CIMultiDictProxy[str]
    real_url: URL


class ResponseHandler:
    """Feeds a connection's bytes to the HTTP/1.1 parser and the response's stream."""

    __slots__ = ("_conn", "_parser", "_head", "_stream", "_loop", "_done")

    def __init__(self, loop: asyncio.AbstractEventLoop, conn: Connection,
                 parser: h1.ResponseParser) -> None:
        self._loop = loop
        self._conn = conn
        self._parser = parser
        self._head: asyncio.Future[h1.Response] = loop.create_future()
        self._stream: StreamReader | None = None
        self._done = False

    async def head(self) -> h1.Response:
        return await self._head

    def attach(self, stream: StreamReader) -> None:
        self._stream = stream

    def data_received(self, data: bytes) -> None:
        try:
            events = self._parser.feed(data)
        except h1.HTTP1Error as exc:
            self._fail(exc)
            return
        self._dispatch(events)

    def _dispatch(self, events: list[h1.Event]) -> None:
        for ev in events:
            t = type(ev)
            if t is h1.Data:
                assert self._stream is not None
                self._stream.feed_data(ev.data)  # type: ignore[union-attr]
            elif t is h1.Response:
                self._stream = self._make_stream(ev)  # type: ignore[arg-type]
                if not self._head.done():
                    self._head.set_result(ev)  # type: ignore[arg-type]
            elif t is h1.EndOfMessage:
                self._finish(ev.keep_alive)  # type: ignore[union-attr]

    def _make_stream(self, head: h1.Response) -> StreamReader:
        transport = self._conn.transport
        assert transport is not None
        return StreamReader(self._loop, pause=transport.pause_reading,
                            resume=transport.resume_reading)

    def _finish(self, keep_alive: bool) -> None:
        self._done = True
        stream = self._stream
        conn = self._conn
        if keep_alive:
            conn.release()
        else:
            conn.close()
        if stream is not None:
            stream.feed_eof()

    def eof_received(self) -> None:
        try:
            events = self._parser.feed_eof()
        except h1.HTTP1Error as exc:
            self._fail(exc)
            return
        self._dispatch(events)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._done:
            return
        try:
            self._dispatch(self._parser.feed_eof())
        except h1.HTTP1Error as perr:
            self._fail(perr)
            return
        if not self._done:
            self._fail(exc or ServerDisconnectedError())

    def _fail(self, exc: BaseException) -> None:
        self._done = True
        self._conn.close()
        if not self._head.done():
            if isinstance(exc, h1.IncompleteBody) or not isinstance(exc, h1.HTTP1Error):
                err: BaseException = ServerDisconnectedError(str(exc) if isinstance(exc, h1.HTTP1Error) else None)
            else:
                err = ClientResponseError(None, (), status=400, message=str(exc))
            err.__cause__ = exc
            self._head.set_exception(err)
        elif self._stream is not None:
            perr = ClientPayloadError(f"Response payload is not completed: {exc}")
            perr.__cause__ = exc
            self._stream.set_exception(perr)

    def abort(self) -> None:
        """The request was cancelled or failed: the connection is closed, never pooled."""
        if not self._done:
            self._done = True
            self._conn.close()


class ClientResponse:
    """An HTTP response: status and headers at once, the body read on demand.

    Usable as ``async with`` (released on exit). The connection goes back to the pool only
    once the body has been received in full; :meth:`release` before that closes it.
    """

    def __init__(
        self,
        method: str,
        url: URL,
        head: h1.Response,
        content: StreamReader,
        handler: ResponseHandler | None,
        request_info: RequestInfo,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.method = method
        self._url = url
        self.status = head.status
        self.reason = head.reason
        self.headers: CIMultiDictProxy[str] = head.headers
        self.raw_headers = head.raw_headers
        self.version = head.version
        self.content = content
        self._handler = handler
        self.request_info = request_info
        self.history: tuple[ClientResponse, ...] = ()
        self._body: bytes | None = None
        self._loop = loop
        self._released = False

    def __repr__(self) -> str:
        return f"<ClientResponse({self._url}) [{self.status} {self.reason}]>"

    @property
    def url(self) -> URL:
        return self._url

    @property
    def real_url(self) -> URL:
        return self.request_info.real_url

    @property
    def ok(self) -> bool:
        return self.status < 400

    @property
    def content_type(self) -> str:
        raw = self.headers.get("Content-Type", "application/octet-stream")
        return raw.split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        raw = self.headers.get("Content-Type", "")
        for part in raw.split(";")[1:]:
            k, _, v = part.partition("=")
            if k.strip().lower() == "charset":
                return v.strip().strip('"') or None
        return None

    @property
    def content_length(self) -> int | None:
        v = self.headers.get("Content-Length")
        return int(v) if v is not None and v.isdigit() else None

    async def read(self) -> bytes:
        """The whole body (cached, so a second call returns it again)."""
        if self._body is None:
            self._body = await self.content.read()
        return self._body

    def get_encoding(self) -> str:
        return self.charset or "utf-8"

    async def text(self, encoding: str | None = None, errors: str = "strict") -> str:
        """The body decoded with *encoding*, the header's charset, or UTF-8."""
        body = await self.read()
        return body.decode(encoding or self.get_encoding(), errors)

    async def json(
        self,
        *,
        encoding: str | None = None,
        loads: Callable[[str], Any] = json.loads,
        content_type: str | None = "application/json",
    ) -> Any:
        """The body parsed as JSON.

        Raises:
            ContentTypeError: the Content-Type is not JSON (pass ``content_type=None`` to
                skip the check).
        """
        body = await self.read()
        if content_type is not None:
            ctype = self.content_type
            if not (ctype == content_type or ctype.endswith("+json") or
                    (content_type == "application/json" and ctype == "application/json")):
                raise ContentTypeError(
                    self.request_info, self.history, status=self.status,
                    message=f"Attempt to decode JSON with unexpected mimetype: {ctype}",
                    headers=self.headers,
                )
        if not body.strip():
            return None
        return loads(body.decode(encoding or self.get_encoding()))

    def raise_for_status(self) -> None:
        """Raise :class:`ClientResponseError` when the status is 400 or more."""
        if self.status >= 400:
            raise ClientResponseError(
                self.request_info, self.history, status=self.status,
                message=self.reason, headers=self.headers,
            )

    def release(self) -> None:
        """Finish with the response: pooled if the body was fully received, else closed."""
        if self._released:
            return
        self._released = True
        if self._handler is not None and not self.content.is_eof():
            self._handler.abort()

    def close(self) -> None:
        """Close the connection under the response."""
        self._released = True
        if self._handler is not None:
            self._handler.abort()

    @property
    def closed(self) -> bool:
        return self._released

    async def __aenter__(self) -> ClientResponse:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()
