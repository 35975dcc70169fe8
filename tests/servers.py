"""Loopback servers for the test suite (no ketch imports, so every package can use it).

``HTTPServer`` is a small asyncio HTTP/1.1 server: each request is parsed just enough
(head, Content-Length or chunked body) and passed to a handler that returns a
``Reply`` or writes raw bytes itself, for exact protocol and fault cases. It counts
connections, so tests can prove keep-alive reuse.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Self


@dataclass
class Request:
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str, default: str | None = None) -> str | None:
        lname = name.lower()
        for k, v in self.headers:
            if k.lower() == lname:
                return v
        return default


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    reason: str = "OK"
    chunked: bool = False
    close: bool = False

    def encode(self) -> bytes:
        hdrs = list(self.headers)
        names = {k.lower() for k, _ in hdrs}
        if self.chunked:
            hdrs.append(("Transfer-Encoding", "chunked"))
        elif "content-length" not in names:
            hdrs.append(("Content-Length", str(len(self.body))))
        if self.close:
            hdrs.append(("Connection", "close"))
        head = f"HTTP/1.1 {self.status} {self.reason}\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in hdrs
        ) + "\r\n"
        if not self.chunked:
            return head.encode("latin-1") + self.body
        body = b""
        step = max(1, len(self.body) // 4) if self.body else 1
        for i in range(0, len(self.body), step):
            piece = self.body[i : i + step]
            body += b"%x\r\n%b\r\n" % (len(piece), piece)
        return head.encode("latin-1") + body + b"0\r\n\r\n"


Handler = Callable[[Request, asyncio.StreamWriter], Awaitable[Reply | None]]


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    lines = head[:-4].decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ", 2)
    headers = []
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.append((k.strip(), v.strip()))
    req = Request(method, target, version, headers, b"")
    if (req.header("Expect") or "").lower() == "100-continue":
        pass  # the handler decides whether to send 100 Continue
    te = (req.header("Transfer-Encoding") or "").lower()
    if "chunked" in te:
        parts = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        req.body = b"".join(parts)
    else:
        n = int(req.header("Content-Length") or 0)
        if n:
            req.body = await reader.readexactly(n)
    return req


class LoopbackServer:
    """Base of the test servers: an asyncio server on loopback (or a Unix socket *path*)
    for ``async with``; exit closes it and every connection a handler still holds.

    Subclasses set ``host``/``port``/``ssl``/``path`` (class defaults below), implement
    ``_serve(reader, writer)`` and add each writer to ``_writers`` while serving it.
    """

    host: str = "127.0.0.1"
    port: int = 0
    ssl: Any = None
    path: str | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    async def __aenter__(self) -> Self:
        self._writers: set[asyncio.StreamWriter] = set()
        if self.path is not None:
            self._server = await asyncio.start_unix_server(self._serve, self.path, ssl=self.ssl)
        else:
            self._server = await asyncio.start_server(
                self._serve, self.host, self.port, ssl=self.ssl
            )
            self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        for w in list(self._writers):
            w.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError


class HTTPServer(LoopbackServer):
    """An asyncio HTTP/1.1 server on 127.0.0.1 (or another loopback host)."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1", ssl: object = None) -> None:
        self.handler = handler
        self.host = host
        self.ssl = ssl
        self.connections = 0
        self.requests: list[Request] = []

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        try:
            while True:
                req = await read_request(reader)
                if req is None:
                    break
                self.requests.append(req)
                reply = await self.handler(req, writer)
                if reply is None:
                    break
                writer.write(reply.encode())
                await writer.drain()
                if reply.close:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()


def tls_contexts() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for 127.0.0.1 from a fresh trustme CA, and a
    client context trusting that CA."""
    import trustme  # only the tests that serve TLS need it

    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    return server_ctx, client_ctx


async def stopped_reading(transport: asyncio.Transport) -> bool:
    """Wait until *transport* stops reading (bounded: 2 s); whether it did."""
    for _ in range(200):
        if not transport.is_reading():
            return True
        await asyncio.sleep(0.01)
    return not transport.is_reading()
