"""Events produced by :class:`ResponseParser`."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from typing import Any, TypeVar

from multidict import CIMultiDictProxy

__all__ = ["Event", "InformationalResponse", "Response", "Data", "EndOfMessage", "RawHeaders"]

RawHeaders = tuple[tuple[bytes, bytes], ...]

_T = TypeVar("_T")


def _fast_init(cls: type[_T]) -> type[_T]:
    """Give a frozen slots dataclass an ``__init__`` that fills the slots directly.

    The generated frozen ``__init__`` sets each field through ``object.__setattr__`` by
    name; calling the slot descriptors is about twice as fast, and events are made on
    the parser's hot path (several per response). Immutability is unchanged:
    ``__setattr__`` still raises ``FrozenInstanceError``.
    """
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    env: dict[str, Any] = {f"_set_{n}": getattr(cls, n).__set__ for n in names}
    params = []
    for f in fields(cls):  # type: ignore[arg-type]
        if f.default is MISSING:
            params.append(f.name)
        else:
            env[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
    lines = [f"def __init__(self, {', '.join(params)}):"]
    lines += [f"    _set_{n}(self, {n})" for n in names]
    exec("\n".join(lines), env)  # noqa: S102 - fixed source built from field names
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    setattr(cls, "__init__", init)
    return cls


@_fast_init
@dataclass(frozen=True, slots=True)
class InformationalResponse:
    """An interim 1xx response (100 Continue, 103 Early Hints); the final one follows."""

    status: int
    reason: str
    headers: CIMultiDictProxy[str]
    raw_headers: RawHeaders
    version: tuple[int, int]


@_fast_init
@dataclass(frozen=True, slots=True)
class Response:
    """The head of the final response.

    Attributes:
        status, reason, version: from the status line (``version`` is ``(1, 0)`` or
            ``(1, 1)``; a higher HTTP/1 minor version counts as 1.1, RFC 9112 §2.6).
        headers: the fields, case-insensitive; values are decoded as UTF-8 with
            ``surrogateescape`` (``value.encode("utf-8", "surrogateescape")`` gives the bytes).
        raw_headers: ``(name, value)`` bytes as received (values trimmed, obs-fold
            replaced by one space).
        keep_alive: whether the response's own framing allows reusing the connection
            (``Connection: close``, HTTP/1.0 without keep-alive, read-until-close bodies,
            Transfer-Encoding with Content-Length make it False; so do 101 and a 2xx to
            CONNECT, after which the connection is a tunnel). :attr:`EndOfMessage.keep_alive`
            is the final word.
        chunked: the body uses the chunked transfer coding.
        content_length: the number of body bytes that follow (0 when the response has
            no body: HEAD, 204, 304), or None when not known in advance (chunked,
            read until close, tunnels).
    """

    status: int
    reason: str
    headers: CIMultiDictProxy[str]
    raw_headers: RawHeaders
    version: tuple[int, int]
    keep_alive: bool
    chunked: bool
    content_length: int | None


@_fast_init
@dataclass(frozen=True, slots=True)
class Data:
    """A piece of the response body, already decoded when decompression is on.

    Attributes:
        end_of_chunk: True when this piece ends an HTTP chunk of a chunked body (what
            aiohttp's ``StreamReader.readchunk()`` reports); always False otherwise.
    """

    data: bytes
    end_of_chunk: bool = False


@_fast_init
@dataclass(frozen=True, slots=True)
class EndOfMessage:
    """The body is complete.

    Attributes:
        trailers: trailer fields of a chunked body (empty otherwise).
        keep_alive: True when the connection may carry another request.
    """

    trailers: CIMultiDictProxy[str]
    raw_trailers: RawHeaders
    keep_alive: bool


Event = InformationalResponse | Response | Data | EndOfMessage
