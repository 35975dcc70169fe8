"""Request bodies: every ``data=`` form aiohttp accepts, turned into one ``Payload``.

The seam with the request pipeline is :func:`make_payload`::

    make_payload(data: Any, *, content_type: str | None = None) -> Payload

It accepts, in this order: an existing ``Payload`` (returned as is); ``bytes``,
``bytearray``, ``memoryview`` (``application/octet-stream``); ``str`` (``text/plain;
charset=utf-8``); a ``FormData`` (its urlencoded or multipart payload); ``io.StringIO``;
text files; ``io.BytesIO``; binary files and other ``io.IOBase`` objects; a response's
``StreamReader`` (read with ``iter_any``); async iterables and async generators; and,
like aiohttp, anything else is handed to ``FormData`` (a ``dict``, a sequence of pairs, a
``MultiDict``: ``application/x-www-form-urlencoded``, or multipart when a value is a file).
*content_type*, when given, replaces the payload's own Content-Type (and, for ``str``,
chooses the charset it is encoded with).

What the pipeline reads from a ``Payload``:

- ``content_type: str | None`` and ``headers`` (a ``CIMultiDict`` that includes the
  Content-Type and any header the payload implies: ``Content-Disposition`` for a file,
  the boundary in a multipart Content-Type, ``Content-Encoding`` for a compressed body).
  User headers win over these; ``headers`` is built on first access.
- ``size: int | None``: the exact number of body bytes; None means unknown, so the
  pipeline uses chunked transfer coding (RFC 9112 §7.1).
- ``body: bytes | None``: the whole body when it is in memory (the fast path; a ``bytes``
  value is the very object the user passed). None for streamed bodies.
- ``iter_chunks()``: an async iterator of non-empty ``bytes`` chunks (at most 64 KiB for
  files), used when ``body`` is None. Files are read in a worker thread a chunk at a
  time, never whole; a file shorter than its announced ``size`` raises
  ``ClientPayloadError`` instead of sending a truncated body.
- ``is_replayable: bool``: whether ``iter_chunks()`` can run again (a redirect 307/308,
  an auth retry). In-memory bodies can; seekable files can (they are rewound to where
  they started); async iterables cannot, and iterating one a second time raises
  ``ClientPayloadError``.
- ``close()``: releases what the payload owns (a file payload closes its file, as
  aiohttp does); the pipeline calls it once it is done with the request.

``compress_payload(payload, encoding)`` (``deflate`` or ``gzip``) wraps a payload so its
bytes are compressed as they are sent (``compress=`` in a request); a body that is
already compressed (a user-set ``Content-Encoding``) is sent as is and never passes here.
"""

from __future__ import annotations

import asyncio
import io
import json
import mimetypes
import os
import stat
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Protocol

from multidict import CIMultiDict

from ._exceptions import ClientPayloadError
from ._mime import charset_of, check_header, content_disposition_header, guess_filename

__all__ = [
    "AsyncIterablePayload",
    "BufferedReaderPayload",
    "BytesIOPayload",
    "BytesPayload",
    "IOBasePayload",
    "JsonPayload",
    "Payload",
    "StringIOPayload",
    "StringPayload",
    "TextIOPayload",
    "compress_payload",
    "get_payload",
    "make_payload",
]

CHUNK_SIZE = 2**16
_EAGER_COMPRESS_LIMIT = 2**20
_DEFAULT = object()
HeadersArg = Mapping[str, str] | None


class StreamWriterLike(Protocol):
    """What ``Payload.write`` writes to: aiohttp's ``AbstractStreamWriter.write``."""

    def write(self, chunk: bytes) -> Awaitable[None]: ...


class Payload:
    """A request body (aiohttp's ``Payload``): headers, size and the bytes to send.

    Subclasses either give ``body`` (in memory) or implement ``iter_chunks()``; a
    user subclass written for aiohttp that only implements ``async write(writer)`` works
    too (its writes are streamed).

    Args:
        value: what the payload sends.
        headers: extra headers (they override the Content-Type the payload chose).
        content_type: the Content-Type; guessed from *filename* or the class default.
        filename: the file name (used for Content-Type guessing and dispositions).
        encoding: the text encoding, for payloads made from text.
    """

    _default_content_type = "application/octet-stream"
    _size: int | None = None
    _body: bytes | None = None

    def __init__(
        self,
        value: Any,
        headers: HeadersArg = None,
        content_type: Any = _DEFAULT,
        filename: str | None = None,
        encoding: str | None = None,
    ) -> None:
        self._value = value
        self._filename = filename
        self._encoding = encoding
        if content_type is not _DEFAULT and content_type is not None:
            ctype: str = content_type
            check_header("Content-Type", ctype)
        elif filename is not None:
            ctype = mimetypes.guess_type(filename)[0] or self._default_content_type
        else:
            ctype = self._default_content_type
        self._content_type = ctype
        self._headers: CIMultiDict[str] | None = None
        if headers:
            self.headers.update(headers)

    @property
    def headers(self) -> CIMultiDict[str]:
        """The headers this payload implies, Content-Type included (mutable)."""
        h = self._headers
        if h is None:
            h = self._headers = CIMultiDict(((("Content-Type", self._content_type),)))
        return h

    @property
    def content_type(self) -> str | None:
        """The Content-Type this payload is sent with."""
        if self._headers is None:
            return self._content_type
        return self._headers.get("Content-Type")

    @property
    def size(self) -> int | None:
        """The number of bytes ``iter_chunks`` yields, or None when unknown (chunked)."""
        return self._size

    @property
    def body(self) -> bytes | None:
        """The whole body when it is in memory, else None."""
        return self._body

    @property
    def is_replayable(self) -> bool:
        """Whether the body can be sent again (307/308 redirects, auth retries)."""
        return True

    @property
    def filename(self) -> str | None:
        """The file name the payload was given or guessed, if any."""
        return self._filename

    @property
    def encoding(self) -> str | None:
        """The text encoding used to make the bytes, for text payloads."""
        return self._encoding

    def set_content_disposition(
        self, disptype: str, quote_fields: bool = True, _charset: str = "utf-8", **params: str
    ) -> None:
        """Set ``Content-Disposition`` (see :func:`content_disposition_header`)."""
        self.headers["Content-Disposition"] = content_disposition_header(
            disptype, quote_fields=quote_fields, _charset=_charset, **params
        )

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        """Yield the body as non-empty ``bytes`` chunks."""
        body = self.body
        if body is not None:
            if body:
                yield body
            return
        if type(self).write is Payload.write:
            raise TypeError(f"{type(self).__name__} has neither a body, iter_chunks() nor write()")
        async for chunk in _drain_writer(self):
            yield chunk

    async def write(self, writer: StreamWriterLike) -> None:
        """Write the body to *writer* (aiohttp's ``Payload.write``)."""
        async for chunk in self.iter_chunks():
            await writer.write(chunk)

    async def as_bytes(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        """The whole body as bytes (reads a streamed payload to its end)."""
        body = self.body
        if body is not None:
            return body
        return b"".join([chunk async for chunk in self.iter_chunks()])

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """The in-memory body as text.

        Raises:
            TypeError: the body is streamed, so it is not in memory.
        """
        body = self.body
        if body is None:
            raise TypeError(f"{type(self).__name__} is streamed; it cannot be decoded in memory")
        return body.decode(encoding, errors)

    def close(self) -> None:
        """Release what the payload owns (nothing for in-memory payloads)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} size={self.size} content_type={self.content_type!r}>"


async def _drain_writer(payload: Payload) -> AsyncIterator[bytes]:
    """Stream an aiohttp-style ``write(writer)`` payload through a one-slot queue."""
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=1)

    class _Writer:
        async def write(self, chunk: bytes) -> None:
            if chunk:
                await queue.put(bytes(chunk))

    async def run() -> None:
        try:
            await payload.write(_Writer())
        finally:
            await queue.put(None)

    task = asyncio.ensure_future(run())
    try:
        while (chunk := await queue.get()) is not None:
            yield chunk
        await task
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


class BytesPayload(Payload):
    """``bytes``, ``bytearray`` or ``memoryview`` (the value is copied unless it is bytes)."""

    def __init__(self, value: bytes | bytearray | memoryview, *args: Any, **kwargs: Any) -> None:
        if isinstance(value, bytes):
            body = value
        elif isinstance(value, (bytearray, memoryview)):
            body = bytes(value)
        else:
            raise TypeError(f"value argument must be bytes-like, not {type(value).__name__!r}")
        super().__init__(body, *args, **kwargs)
        self._body = body
        self._size = len(body)


class StringPayload(BytesPayload):
    """Text, encoded with *encoding* or the Content-Type's charset (default UTF-8)."""

    def __init__(
        self, value: str, *args: Any, encoding: str | None = None,
        content_type: str | None = None, **kwargs: Any,
    ) -> None:
        if not isinstance(value, str):
            raise TypeError(f"value argument must be str, not {type(value).__name__!r}")
        if encoding is None:
            if content_type is None:
                encoding, content_type = "utf-8", "text/plain; charset=utf-8"
            else:
                encoding = charset_of(content_type) or "utf-8"
        elif content_type is None:
            content_type = f"text/plain; charset={encoding}"
        super().__init__(
            value.encode(encoding), *args, content_type=content_type, encoding=encoding, **kwargs
        )


class StringIOPayload(StringPayload):
    """An ``io.StringIO`` (already in memory: its text is taken whole)."""

    def __init__(self, value: io.StringIO, *args: Any, **kwargs: Any) -> None:
        super().__init__(value.read(), *args, **kwargs)


class JsonPayload(BytesPayload):
    """A value serialized with *dumps* (``application/json``)."""

    def __init__(
        self, value: Any, encoding: str = "utf-8", content_type: str = "application/json",
        dumps: Callable[[Any], str] = json.dumps, *args: Any, **kwargs: Any,
    ) -> None:
        super().__init__(
            dumps(value).encode(encoding), content_type=content_type, encoding=encoding,
            *args, **kwargs,
        )


class IOBasePayload(Payload):
    """A file object, streamed in chunks read in a worker thread, never whole.

    The size is known for regular files (``fstat`` minus the current position) and for
    in-memory buffers; otherwise None (chunked). A seekable file is rewound to where it
    started when the body is sent again. ``close()`` closes the file.
    """

    _in_memory = False

    def __init__(
        self, value: Any, disposition: str | None = "attachment", *args: Any, **kwargs: Any
    ) -> None:
        if "filename" not in kwargs:
            kwargs["filename"] = guess_filename(value)
        super().__init__(value, *args, **kwargs)
        self._start: int | None = None
        try:
            if value.seekable():
                self._start = value.tell()
        except (OSError, ValueError, AttributeError):
            self._start = None
        self._size = self._measure()
        self._consumed = False
        if self._filename is not None and disposition is not None:
            if "Content-Disposition" not in self.headers:
                self.set_content_disposition(disposition, filename=self._filename)

    def _measure(self) -> int | None:
        if self._start is None:
            return None
        try:
            st = os.fstat(self._value.fileno())
        except (OSError, ValueError, AttributeError):
            # No descriptor (an in-memory or wrapped stream): seekable, so measure by seeking.
            try:
                end: int = self._value.seek(0, os.SEEK_END)
                self._value.seek(self._start)
            except (OSError, ValueError):
                return None
            return max(end - self._start, 0)
        # Pipes and sockets report st_size 0: only a regular file's size is its length.
        if not stat.S_ISREG(st.st_mode):
            return None
        return max(st.st_size - self._start, 0)

    @property
    def is_replayable(self) -> bool:
        return self._start is not None

    def _rewind(self) -> None:
        if self._consumed:
            if self._start is None:
                raise ClientPayloadError(
                    f"{type(self).__name__} ({self._filename or 'file'}) is not seekable and "
                    "was already sent; it cannot be sent again"
                )
            self._value.seek(self._start)
        self._consumed = True

    def _read_chunk(self, n: int) -> bytes:
        chunk = self._value.read(n)
        if isinstance(chunk, str):
            return chunk.encode(self._encoding or "utf-8")
        return bytes(chunk) if chunk is not None else b""

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        self._rewind()
        loop = asyncio.get_running_loop()
        remaining = self._size
        while remaining is None or remaining > 0:
            n = CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining)
            if self._in_memory:
                chunk = self._read_chunk(n)
            else:
                chunk = await loop.run_in_executor(None, self._read_chunk, n)
            if not chunk:
                if remaining:
                    raise ClientPayloadError(
                        f"{self._filename or 'file'} ended {remaining} bytes before the "
                        f"{self._size} bytes announced in Content-Length"
                    )
                return
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk

    def close(self) -> None:
        self._value.close()


class BufferedReaderPayload(IOBasePayload):
    """A binary file opened for reading (``open(path, 'rb')``)."""


class BytesIOPayload(IOBasePayload):
    """An ``io.BytesIO``: read in place (no worker thread), size from its length."""

    _in_memory = True

    def _measure(self) -> int | None:
        buf: io.BytesIO = self._value
        return max(len(buf.getbuffer()) - (self._start or 0), 0)


class TextIOPayload(IOBasePayload):
    """A text file: chunks are encoded as read; the size is unknown (chunked).

    The encoded length of text differs from the file's length whenever newline
    translation or the encoding change it, so no Content-Length is promised.
    """

    def __init__(
        self, value: io.TextIOBase, *args: Any, encoding: str | None = None,
        content_type: str | None = None, **kwargs: Any,
    ) -> None:
        if encoding is None:
            if content_type is None:
                encoding, content_type = "utf-8", "text/plain; charset=utf-8"
            else:
                encoding = charset_of(content_type) or "utf-8"
        elif content_type is None:
            content_type = f"text/plain; charset={encoding}"
        super().__init__(value, *args, content_type=content_type, encoding=encoding, **kwargs)

    def _measure(self) -> int | None:
        return None


class AsyncIterablePayload(Payload):
    """An async iterable or async generator of bytes: streamed (chunked), sent once."""

    def __init__(self, value: AsyncIterable[Any], *args: Any, **kwargs: Any) -> None:
        if not isinstance(value, AsyncIterable):
            raise TypeError(f"value argument must be an async iterable, not {type(value).__name__!r}")
        super().__init__(value, *args, **kwargs)
        self._consumed = False

    @property
    def is_replayable(self) -> bool:
        return False

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        if self._consumed:
            raise ClientPayloadError(
                f"the async iterable body {self._value!r} was already sent and cannot be replayed"
            )
        self._consumed = True
        source = self._value
        iter_any = getattr(source, "iter_any", None)
        if callable(iter_any):
            source = iter_any()
        async for chunk in source:
            if not isinstance(chunk, (bytes, bytearray, memoryview)):
                raise TypeError(
                    f"async iterable bodies must yield bytes, got {type(chunk).__name__}: {chunk!r:.80}"
                )
            # An empty chunk would read as the last-chunk marker in chunked coding.
            if chunk:
                yield bytes(chunk) if not isinstance(chunk, bytes) else chunk


def make_payload(data: Any, *, content_type: str | None = None) -> Payload:
    """Turn any ``data=`` value aiohttp accepts into a :class:`Payload` (see module doc).

    Args:
        data: the request body in any supported form.
        content_type: replaces the payload's own Content-Type when given.

    Returns:
        The payload; an existing ``Payload`` is returned as is.

    Raises:
        TypeError: *data* is of no supported form (the message names its type).
        ValueError: a header of the body contains CR, LF or NUL.
    """
    if isinstance(data, Payload):
        if content_type is not None:
            check_header("Content-Type", content_type)
            data.headers["Content-Type"] = content_type
        return data
    kw: dict[str, Any] = {} if content_type is None else {"content_type": content_type}
    if isinstance(data, (bytes, bytearray, memoryview)):
        return BytesPayload(data, **kw)
    if isinstance(data, str):
        return StringPayload(data, **kw)
    return get_payload(data, **kw)


def get_payload(data: Any, *args: Any, **kwargs: Any) -> Payload:
    """aiohttp's ``get_payload``: the payload class for *data*'s type, or ``FormData``.

    Keyword arguments (``headers``, ``content_type``, ``filename``, ``encoding``) are
    passed to the payload class.

    Raises:
        TypeError: *data* is of no supported form.
    """
    if isinstance(data, Payload):
        return data
    if isinstance(data, (bytes, bytearray, memoryview)):
        return BytesPayload(data, *args, **kwargs)
    if isinstance(data, str):
        return StringPayload(data, *args, **kwargs)
    # Imported here: _formdata builds its parts with this module (an import cycle).
    from ._formdata import FormData

    if isinstance(data, FormData):
        return data()
    if isinstance(data, io.StringIO):
        return StringIOPayload(data, *args, **kwargs)
    if isinstance(data, io.TextIOBase):
        return TextIOPayload(data, *args, **kwargs)
    if isinstance(data, io.BytesIO):
        return BytesIOPayload(data, *args, **kwargs)
    if isinstance(data, (io.BufferedReader, io.BufferedRandom)):
        return BufferedReaderPayload(data, *args, **kwargs)
    if isinstance(data, io.IOBase):
        return IOBasePayload(data, *args, **kwargs)
    if isinstance(data, AsyncIterable):
        return AsyncIterablePayload(data, *args, **kwargs)
    if args or kwargs:
        raise TypeError(f"cannot make a request body from {type(data).__name__!r}: {data!r:.80}")
    return FormData(data)()


class _CompressedPayload(Payload):
    """Another payload's bytes passed through zlib as they are sent."""

    def __init__(self, inner: Payload, encoding: str, wbits: int) -> None:
        super().__init__(inner, content_type=inner.content_type)
        for key, value in inner.headers.items():
            if key.lower() not in ("content-type", "content-length"):
                self.headers.add(key, value)
        self.headers["Content-Encoding"] = encoding
        self._inner = inner
        self._wbits = wbits
        body = inner.body
        if body is not None and len(body) <= _EAGER_COMPRESS_LIMIT:
            c = zlib.compressobj(wbits=wbits)
            self._body = c.compress(body) + c.flush()
            self._size = len(self._body)

    @property
    def is_replayable(self) -> bool:
        return self._inner.is_replayable

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        if self._body is not None:
            yield self._body
            return
        c = zlib.compressobj(wbits=self._wbits)
        body = self._inner.body
        if body is not None:
            view = memoryview(body)
            for i in range(0, len(view), CHUNK_SIZE):
                if out := c.compress(view[i : i + CHUNK_SIZE]):
                    yield out
                # Large in-memory bodies: let other tasks run between slices.
                await asyncio.sleep(0)
        else:
            async for chunk in self._inner.iter_chunks():
                if out := c.compress(chunk):
                    yield out
        yield c.flush()

    def close(self) -> None:
        self._inner.close()


_WBITS = {"deflate": zlib.MAX_WBITS, "gzip": 16 + zlib.MAX_WBITS}


def compress_payload(payload: Payload, encoding: str) -> Payload:
    """Compress *payload* for ``compress=`` (``deflate`` is the zlib format, RFC 9110 §8.4.1.2).

    In-memory bodies up to 1 MiB are compressed at once (so the size is known); larger
    and streamed bodies are compressed as they are sent (size None: chunked).

    Args:
        payload: the body to compress.
        encoding: ``"deflate"`` or ``"gzip"``.

    Returns:
        A payload whose ``headers`` carry ``Content-Encoding: <encoding>``.

    Raises:
        ValueError: any other encoding.
    """
    wbits = _WBITS.get(encoding.lower())
    if wbits is None:
        raise ValueError(f"compress must be 'deflate' or 'gzip' (or True for deflate), got {encoding!r}")
    return _CompressedPayload(payload, encoding.lower(), wbits)
