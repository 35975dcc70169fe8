"""The settings one request carries through its hops.

:class:`HopOptions` is what the bottom handler needs to read a response. A session builds
one at creation; a request shares it unless it changes one of those settings, so the plain
request allocates nothing here. :class:`Call` is the rest of what stays the same across
the hops of one request, plus the hop under way (kept only when traced).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yarl import URL

import ketch_http1 as h1
from ketch_connector import Connection
from ketch_tracing import Trace

from ._auth import BasicAuth
from ._middlewares import ClientMiddlewareType
from ._timeouts import ClientTimeout

__all__ = ["SENTINEL", "Call", "HopOptions", "custom_options"]


class _Sentinel:
    def __repr__(self) -> str:
        return "<default>"


SENTINEL: Any = _Sentinel()


@dataclass(frozen=True, slots=True, kw_only=True)
class HopOptions:
    """The per-request settings the bottom handler needs (shared when unchanged).

    Attributes:
        timeout: the request's timeouts.
        read_until_eof: read a body delimited only by the connection closing.
        auto_decompress: decode the body by its Content-Encoding.
        read_bufsize: the response stream's buffer limit in bytes.
        limits: the limits the response head is parsed under.
        traces: the request's traces, or None when the session has no trace configs.
    """

    timeout: ClientTimeout
    read_until_eof: bool
    auto_decompress: bool
    read_bufsize: int
    limits: h1.Limits
    traces: list[Trace] | None


def custom_options(
    defaults: HopOptions, timeout: ClientTimeout, read_until_eof: bool,
    read_bufsize: int | None, auto_decompress: bool | None, max_line_size: int | None,
    max_field_size: int | None, max_headers: int | None, traces: list[Trace] | None,
) -> HopOptions:
    """The session's *defaults* with a request's own settings (None keeps the default)."""
    limits = defaults.limits
    if max_line_size is not None or max_field_size is not None or max_headers is not None:
        limits = h1.Limits(
            max_line_size=limits.max_line_size if max_line_size is None else max_line_size,
            max_field_size=limits.max_field_size if max_field_size is None else max_field_size,
            max_headers=limits.max_headers if max_headers is None else max_headers,
        )
    return HopOptions(
        timeout=timeout, read_until_eof=read_until_eof,
        auto_decompress=defaults.auto_decompress if auto_decompress is None else auto_decompress,
        read_bufsize=defaults.read_bufsize if read_bufsize is None else read_bufsize,
        limits=limits, traces=traces,
    )


class Call:
    """What stays the same across the hops of one request (the deadline and hop set later)."""

    __slots__ = ("skip", "encoding", "expect100", "ssl", "server_hostname", "chain",
                 "allow_redirects", "max_redirects", "proxy", "proxy_auth", "proxy_headers",
                 "opts", "deadline", "hop_method", "hop_url", "headers", "skip_extra",
                 "written", "record")

    def __init__(self, skip: frozenset[str], encoding: str | None, expect100: bool, ssl: Any,
                 server_hostname: str | None, chain: tuple[ClientMiddlewareType, ...],
                 allow_redirects: bool, max_redirects: int, proxy: str | URL | None,
                 proxy_auth: BasicAuth | None, proxy_headers: Any, opts: HopOptions) -> None:
        self.skip = skip
        self.encoding = encoding
        self.expect100 = expect100
        self.ssl = ssl
        self.server_hostname = server_hostname
        self.chain = chain
        self.allow_redirects = allow_redirects
        self.max_redirects = max_redirects
        self.proxy = proxy
        self.proxy_auth = proxy_auth
        self.proxy_headers = proxy_headers
        self.opts = opts
        self.deadline: float | None = None
        self.headers: Any = None
        self.skip_extra: frozenset[str] | None = None
        # The hop under way, kept only when traced: on_request_exception reports it.
        self.hop_method = ""
        self.hop_url: URL | None = None
        # A connection the first hop's head is already written on (see _request_plain),
        # and the (method, URL, body size) whose first head to remember for that.
        self.written: Connection | None = None
        self.record: tuple[Any, ...] | None = None
