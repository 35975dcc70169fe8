"""Writing a request that has a body, and what a failed exchange answers with.

A body in memory goes out with the head in one write. When the transport could not hand
all of it to the kernel, or the body is streamed or large, the rest is written by a task
*beside* waiting for the answer, as aiohttp does: a server may answer before reading the
whole request (413, 401...) and stop reading, and that answer must reach the caller
rather than a timeout. Such a writer is bounded by the total timeout; the response it
belongs to stops it when released (see ``ClientResponse._send_rest``), and the
connection is pooled only once the whole request went out (``ResponseHandler.send_beside``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import ketch_http1 as h1
from ketch_connector import ClientConnectionError, ClientError, ClientOSError, Connection
from ketch_tracing import Trace

from ._handler import ResponseHandler
from ._request import ClientRequest, is_small_body, write_body
from ._streams import EMPTY_STREAM, StreamReader

__all__ = ["send_request", "rest_beside", "early_answer", "unless_until_eof"]


async def send_request(
    conn: Connection, req: ClientRequest, head: bytes, traces: list[Trace] | None,
    handler: ResponseHandler, parser: h1.ResponseParser, deadline: float | None,
) -> asyncio.Future[bool] | None:
    """Write *head* and *req*'s body on *conn*.

    Returns:
        The task still writing the body when the answer's head came first, else None.

    Raises:
        ClientPayloadError, ClientOSError, ...: writing failed before any answer.
    """
    waiter = handler.wait_continue if req.expect100 else None
    body = req.body
    # A body sent only after 100 Continue goes out beside waiting for the answer too: a
    # final status may follow the 100 while it is still going out.
    if body is not None and (waiter is not None or not is_small_body(body)):
        writer = asyncio.ensure_future(
            _within(write_body(conn, req, head, traces, waiter, handler.mark_sent), deadline))
        return await _beside(writer, handler, parser)
    if not await write_body(conn, req, head, traces, waiter, handler.mark_sent):
        parser.close_after_response()
        return None
    # What the kernel did not take goes out beside waiting for the answer.
    return await rest_beside(conn, handler, parser, deadline)


async def rest_beside(
    conn: Connection, handler: ResponseHandler, parser: h1.ResponseParser,
    deadline: float | None,
) -> asyncio.Future[bool] | None:
    """After a head and its in-memory body were handed to *conn* at once: what the kernel
    did not take yet goes out beside waiting for the answer.

    Returns:
        The task still writing when the answer's head came first, else None.
    """
    if not conn.unsent():
        return None
    return await _beside(asyncio.ensure_future(_within(_drained(conn), deadline)), handler,
                         parser)


async def _beside(writer: asyncio.Future[bool], handler: ResponseHandler,
                  parser: h1.ResponseParser) -> asyncio.Future[bool] | None:
    """Wait for *writer* or the answer's head, whichever comes first (see send_request)."""
    handler.send_beside(writer)
    try:
        await asyncio.wait((writer, handler.pending_head()),
                           return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        writer.cancel()
        raise
    if not writer.done():
        return writer
    if writer.cancelled():
        return None  # by the exchange failing: awaiting the answer raises why
    if not writer.result():  # raises what writing failed with
        parser.close_after_response()
    return None


async def _within(sending: Awaitable[bool], deadline: float | None) -> bool:
    if deadline is None:
        return await sending
    async with asyncio.timeout_at(deadline):
        return await sending


async def _drained(conn: Connection) -> bool:
    await conn.flush()
    return True


def early_answer(exc: BaseException, conn: Connection,
                 handler: ResponseHandler) -> h1.Response | None:
    """The head to answer with when sending or awaiting it failed with *exc*, else None
    (the exchange is then aborted, and the caller re-raises *exc*).

    Raises:
        ClientOSError: *exc* is an OSError that is not already a ClientError or a timeout.
    """
    early = handler.early_head()
    if early is not None and isinstance(exc, (ClientConnectionError, OSError)):
        # The server answered before reading the whole request (413, 401...) and the
        # connection then failed under the upload: that answer is the response, as with
        # aiohttp (the handler never pools this connection).
        return early
    transport = conn.transport
    if transport is not None and conn.unsent():
        # Unsent request bytes: closing would wait to flush them to a peer that may
        # never read; this connection is finished, so drop it at once.
        transport.abort()
    handler.abort()
    # TimeoutError is an OSError since Python 3.11: the total timeout stays a timeout
    # (and is not taken for a stale connection to retry on).
    if isinstance(exc, OSError) and not isinstance(exc, (ClientError, TimeoutError)):
        raise ClientOSError(*exc.args) from exc
    return None


def unless_until_eof(head: h1.Response, handler: ResponseHandler,
                     stream: StreamReader) -> StreamReader:
    """The body stream for ``read_until_eof=False``: empty for a body delimited only by
    the connection closing (that connection cannot be reused), else *stream*."""
    if head.content_length is None and not head.chunked and not handler.done:
        handler.abort()
        return EMPTY_STREAM
    return stream
