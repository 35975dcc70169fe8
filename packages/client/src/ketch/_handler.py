"""The receiver that turns a connection's bytes into a response head and body stream.

Theory of operation: the session installs a :class:`ResponseHandler` on the connection
(``conn.set_receiver(handler)``) before sending the request. Every piece the transport
receives goes synchronously through the sans-IO parser; the head resolves the future the
session awaits (:meth:`ResponseHandler.head`), body pieces go into the response's
:class:`StreamReader`, and the end of the message hands the connection back to the pool
when the parser says it may carry another request (closed otherwise); when the answer
ends while the request body is still being written beside it, the connection stays with
that writer until the body is out (see :meth:`ResponseHandler.send_beside`). Anything that goes
wrong - a protocol error, the peer closing or resetting early, a timeout, cancellation -
closes the connection (never pooled) and fails whoever waits, with aiohttp's documented
exception chained to the cause.

Timeouts: ``sock_read`` bounds each wait for the server to send something. Rather than
re-arming a timer per received piece, the time of the last piece is noted and one timer
re-arms itself for what is left. While the stream has paused reading (the user is not
reading) the timer does not count: that wait is ours, not the server's (as aiohttp).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import ketch_http1 as h1
from ketch_connector import (
    ClientConnectionError,
    ClientOSError,
    Connection,
    ServerDisconnectedError,
    SocketTimeoutError,
)

from ._exceptions import ClientPayloadError, ClientResponseError
from ._streams import DEFAULT_READ_BUFSIZE, StreamReader, _TraceLike

if TYPE_CHECKING:
    from yarl import URL

    from ._response import RequestInfo

__all__ = ["ResponseHandler", "DeadlineWheel"]

# Timers firing within this of their due time count as due (clock granularity).
_TIMER_SLACK = 0.001


class DeadlineWheel:
    """The far deadlines of many responses (a session's), checked by a single one-second
    tick while any is pending."""

    __slots__ = ("_loop", "_handlers", "_tick_handle")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._handlers: set[ResponseHandler] = set()
        self._tick_handle: asyncio.TimerHandle | None = None

    def add(self, handler: ResponseHandler) -> None:
        self._handlers.add(handler)
        if self._tick_handle is None:
            self._tick_handle = self._loop.call_later(1.0, self._tick)

    def discard(self, handler: ResponseHandler) -> None:
        self._handlers.discard(handler)

    def _tick(self) -> None:
        now = self._loop.time()
        expired = [h for h in self._handlers if h._deadline is not None and h._deadline <= now]
        for handler in expired:
            self._handlers.discard(handler)
            handler._on_deadline()
        self._tick_handle = self._loop.call_later(1.0, self._tick) if self._handlers else None


class ResponseHandler:
    """Feeds a connection's bytes to the HTTP/1.1 parser and the response's stream.

    Args:
        loop: the event loop.
        conn: the connection the request goes out on.
        parser: a parser on which ``start_response(method, decompress=...)`` was called.
        read_bufsize: the stream's buffer size (see :class:`StreamReader`).
        read_timeout: ``sock_read``: most seconds to wait for each piece from the server.
        deadline: loop time when the ``total`` timeout expires (None: no limit).
        request_info: the request, for the errors raised about its response.
        traces: the request's traces (see :class:`StreamReader`).
        method, url: the request, for the trace signals.
        deadlines: where ``deadline`` is checked (the session's wheel, which fires up to
            a second late: the session passes it only for far deadlines); without one,
            the deadline gets its own timer.
    """

    __slots__ = (
        "_loop", "_conn", "_transport", "_parser", "_head", "_stream", "_body", "_done", "_paused",
        "_read_timeout", "_last_read", "_timer", "_deadline_handle",
        "_deadline", "__weakref__", "request_sent", "_sending", "_reuse_after_send",
        "_request_info", "_method", "_continue", "trailers",
        "_transport_paused", "_eof", "_pre_head", "_wheel",
    )

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        conn: Connection,
        parser: h1.ResponseParser,
        read_bufsize: int = DEFAULT_READ_BUFSIZE,
        read_timeout: float | None = None,
        deadline: float | None = None,
        request_info: RequestInfo | None = None,
        traces: Sequence[_TraceLike] = (),
        method: str = "GET",
        url: URL | None = None,
        deadlines: DeadlineWheel | None = None,
    ) -> None:
        self._loop = loop
        self._conn = conn
        self._transport = conn.transport
        self._parser = parser
        self._head: asyncio.Future[h1.Response] = loop.create_future()
        self._stream: StreamReader | None = None  # set when the head arrives
        # Made now, while the server works on the request, rather than once the
        # response is here and the caller waits for it.
        self._body = StreamReader(  # positional: made on every request
            loop, read_bufsize, self._pause_reading, self._resume_reading, traces, method, url)
        self._done = False
        self._paused = False  # the stream wants no more for now
        self._transport_paused = False
        self._eof = False  # the peer closed (decoded output may still be pending)
        self._pre_head = b""
        self._read_timeout = read_timeout or None
        self._last_read = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._deadline = deadline
        self._deadline_handle: asyncio.TimerHandle | None = None
        if deadline is not None:
            if deadlines is None:
                self._deadline_handle = loop.call_at(deadline, self._on_deadline)
            else:
                self._wheel = deadlines
                deadlines.add(self)
        self._request_info = request_info
        self._method = method
        self._continue: asyncio.Future[bool] | None = None
        self.trailers: Any = None
        # Set by the sender once the whole request is written: a response that ends
        # before that leaves the connection mid-request, so it is closed, never pooled.
        self.request_sent = False
        self._sending: asyncio.Future[bool] | None = None
        self._reuse_after_send: bool | None = None

    # -- what the session uses ---------------------------------------------------------

    @property
    def body(self) -> StreamReader:
        """The body stream, made with the handler (it is fed once the head has arrived)."""
        return self._body

    @property
    def connection(self) -> Connection | None:
        """The connection, while this response still holds it."""
        return None if self._done else self._conn

    @property
    def done(self) -> bool:
        """True once the connection was handed back or closed."""
        return self._done

    def head(self) -> asyncio.Future[h1.Response]:
        """The final response head, to await (the request must have been sent).

        A future rather than a coroutine: one frame less on every request.

        Raises (when awaited):
            ClientResponseError: the head is malformed or over a limit (status 400).
            ServerDisconnectedError: the server closed before sending a complete head.
            ClientOSError: the connection failed (reset...).
            SocketTimeoutError: nothing arrived for ``sock_read`` seconds.
        """
        self.start_read_timeout()
        return self._head

    def send_beside(self, writer: asyncio.Future[bool]) -> None:
        """The request body is being written by *writer* while the answer is awaited.

        An answer that ends first leaves the connection to the writer: it is pooled once
        the whole body went out (and the answer allowed it), closed if the writer fails
        or is cancelled (the response released before the body was sent).
        """
        self._sending = writer
        writer.add_done_callback(self._body_sent)

    def _body_sent(self, writer: asyncio.Future[bool]) -> None:
        self._sending = None
        error = None if writer.cancelled() else writer.exception()
        sent = not writer.cancelled() and error is None and writer.result()
        if error is not None and not self._done:
            # The answer is still coming: whoever reads it learns why the request failed
            # (rather than waiting for a server that waits for the rest of the body).
            self._fail(error)
            return
        reuse = self._reuse_after_send
        if reuse is not None:  # the answer ended while the body was going out
            self._reuse_after_send = None
            if reuse and sent and not self._conn.unsent():
                self._conn.release()
            else:
                self._conn.close()

    def stop_sending(self) -> None:
        """The response is released while its body is still going out: close now."""
        writer = self._sending
        if writer is not None:
            writer.cancel()
        if self._reuse_after_send is not None:
            self._reuse_after_send = None
            self._conn.close()

    def pending_head(self) -> asyncio.Future[h1.Response]:
        """The head future, without starting ``sock_read`` (while the request is still
        being sent, the server is not expected to answer yet)."""
        return self._head

    async def wait_continue(self) -> bool:
        """For ``Expect: 100-continue``: True once 100 Continue arrived, False if the
        final response came first (then the body must not be sent)."""
        if self._head.done():
            return False
        if self._continue is None:
            self._continue = self._loop.create_future()
        self.start_read_timeout()
        return await self._continue

    def mark_sent(self) -> None:
        """The last byte of the request went to the transport: from now on the end of
        the response may hand the connection back to the pool."""
        self.request_sent = True

    def early_head(self) -> h1.Response | None:
        """The final head if it arrived before sending failed (the server answered
        without reading the whole request, e.g. 413 or 401), else None."""
        fut = self._head
        if fut.done() and not fut.cancelled() and fut.exception() is None:
            return fut.result()
        return None

    def start_read_timeout(self) -> None:
        """Start counting ``sock_read`` (call when the request has been sent)."""
        if self._read_timeout is None or self._timer is not None or self._done:
            return
        self._last_read = self._loop.time()
        self._timer = self._loop.call_at(self._last_read + self._read_timeout, self._on_read_timer)

    def abort(self) -> None:
        """The request was cancelled or failed, or the response released early: close
        the connection (never pooled)."""
        if self._sending is not None or self._reuse_after_send is not None:
            self.stop_sending()
        if not self._done:
            self._done = True
            self._stop_timers()
            self._conn.close()
        if self._head.done() and not self._head.cancelled():
            self._head.exception()  # mark a failure as seen: the caller has moved on

    # -- Receiver ----------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._done:
            return
        if self._read_timeout is not None:
            self._last_read = self._loop.time()
        parser = self._parser
        try:
            events = parser.feed(data)
        except h1.HTTP1Error as exc:
            self._fail_in_feed(exc, data)
            return
        if events:
            self._dispatch(events)
        if self._stream is None and not self._done:
            # Still no final head: keep its bytes, to tell head errors from body errors.
            self._pre_head += data
        if parser.output_pending:
            self._drain_pending()

    def eof_received(self) -> None:
        if self._done or self._eof:
            return
        self._eof = True
        try:
            events = self._parser.feed_eof()
        except h1.HTTP1Error as exc:
            self._fail(exc, at_eof=True)
            return
        self._dispatch(events)
        if self._parser.output_pending:
            self._drain_pending()
        elif not self._done:
            self._fail(None, at_eof=True)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._done:
            return
        if exc is None:
            if not self._eof:
                self.eof_received()
            elif not self._parser.output_pending:
                self._fail(None, at_eof=True)
            # else: decoded output waits for the reader; the body ends once it is taken.
            return
        try:
            self._parser.feed_eof()
        except h1.HTTP1Error as perr:
            # What was missing, caused by the OS error.
            perr.__cause__ = exc
            self._fail(perr, exc, at_eof=True)
            return
        # Even a read-until-close body may have lost bytes to a reset: never pass it as whole.
        self._fail(exc, exc, at_eof=True)

    # -- internals -----------------------------------------------------------------------

    def _drain_pending(self) -> None:
        """Decode held-back output while the reader keeps up (bounded per step by the
        parser's ``max_decompressed_chunk``; the stream pausing stops the loop)."""
        parser = self._parser
        while parser.output_pending and not self._paused and not self._done:
            try:
                events = parser.feed_eof() if self._eof else parser.feed(b"")
            except h1.HTTP1Error as exc:
                self._fail(exc, at_eof=self._eof)
                return
            self._dispatch(events)
        if self._eof and not self._done and not parser.output_pending:
            self._fail(None, at_eof=True)

    def _fail_in_feed(self, exc: h1.HTTP1Error, data: bytes) -> None:
        """A feed failed. Before the head, the same bytes may have held a valid head (the
        events of a failed feed are lost): then deliver it, and either fail the body, as
        when the body arrives on its own, or - when that response had ended before the
        bad bytes (a body sent after a HEAD response...) - end it cleanly and close."""
        if self._stream is None and not self._head.done():
            recovered = self._recover_head(self._pre_head + data)
            if recovered is not None:
                head, end = recovered
                self._on_head(head)
                if end is not None:
                    self._finish(end)  # the parser failed, so the connection is closed
                    return
        self._fail(exc)

    def _recover_head(
        self, data: bytes
    ) -> tuple[h1.Response, h1.EndOfMessage | None] | None:
        probe = h1.ResponseParser(self._parser.limits)
        probe.start_response(self._method)
        pos = 0
        while True:
            end = data.find(b"\r\n\r\n", pos)
            if end < 0:
                return None
            try:
                events = probe.feed(data[pos : end + 4])
            except h1.HTTP1Error:
                return None
            heads = [ev for ev in events if isinstance(ev, h1.Response)]
            if heads:
                ends = [ev for ev in events if isinstance(ev, h1.EndOfMessage)]
                return heads[0], (ends[0] if ends else None)
            pos = end + 4

    def _dispatch(self, events: list[h1.Event]) -> None:
        for ev in events:
            # The event classes are final: an identity test is all it takes.
            if type(ev) is h1.Data:
                stream = self._stream
                assert stream is not None
                if ev.data:  # an end of chunk may come without bytes (decoded output)
                    stream.feed_data(ev.data)
                if ev.end_of_chunk:
                    stream.end_http_chunk()
            elif type(ev) is h1.Response:
                self._on_head(ev)
            elif type(ev) is h1.EndOfMessage:
                self._finish(ev)
            else:
                assert isinstance(ev, h1.InformationalResponse)
                self._on_informational(ev)

    def _on_head(self, head: h1.Response) -> None:
        self._stream = self._body
        if not self._head.done():
            self._head.set_result(head)
        waiter = self._continue
        if waiter is not None and not waiter.done():
            waiter.set_result(False)

    def _on_informational(self, ev: h1.InformationalResponse) -> None:
        waiter = self._continue
        if ev.status == 100 and waiter is not None and not waiter.done():
            waiter.set_result(True)

    def _finish(self, end: h1.EndOfMessage) -> None:
        self._done = True
        if self._timer is not None or self._deadline is not None:
            self._stop_timers()
        self.trailers = end.trailers
        self._paused = False
        if self._transport_paused:
            # A pooled connection must be reading, to notice the server closing it.
            self._transport_paused = False
            if self._transport is not None:
                self._transport.resume_reading()
        if self._sending is not None and (not self.request_sent or self._conn.unsent()):
            # The body is still going out: the connection stays with it (see send_beside).
            self._reuse_after_send = end.keep_alive and self._parser.is_reusable
        elif (end.keep_alive and self.request_sent and self._parser.is_reusable
                and not self._conn.unsent()):  # a request not all sent: never pooled
            self._conn.release()
        else:
            self._conn.close()
        if self._stream is not None:
            self._stream.feed_eof()

    def _pause_reading(self) -> None:
        if not self._done and self._transport is not None:
            self._paused = True
            if not self._transport_paused:
                self._transport_paused = True
                self._transport.pause_reading()

    def _resume_reading(self) -> None:
        if self._done or not self._paused:
            return
        self._paused = False
        if self._parser.output_pending:
            self._drain_pending()  # may pause again, or finish the body
            if not self._wants_data():
                return
        if self._transport_paused and self._transport is not None:
            self._transport_paused = False
            self._transport.resume_reading()
        if self._read_timeout is not None:
            self._last_read = self._loop.time()
            if self._timer is None:
                self._timer = self._loop.call_at(
                    self._last_read + self._read_timeout, self._on_read_timer
                )

    def _wants_data(self) -> bool:
        return not (self._done or self._paused)

    def _on_read_timer(self) -> None:
        self._timer = None
        if self._done or self._paused or self._read_timeout is None:
            return
        due = self._last_read + self._read_timeout
        if due - self._loop.time() > _TIMER_SLACK:
            self._timer = self._loop.call_at(due, self._on_read_timer)
            return
        self._fail(SocketTimeoutError(
            f"Timeout on reading data from socket: nothing received for "
            f"{self._read_timeout} s (sock_read)"
        ))

    def _on_deadline(self) -> None:
        self._deadline_handle = None
        self._deadline = None
        if not self._done:
            self._fail(asyncio.TimeoutError(
                "the total timeout expired before the response was received in full"
            ))

    def _stop_timers(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._deadline_handle is not None:
            self._deadline_handle.cancel()
            self._deadline_handle = None
            self._deadline = None
        elif self._deadline is not None:
            self._deadline = None
            self._wheel.discard(self)

    def _fail(
        self, exc: BaseException | None, os_error: BaseException | None = None,
        *, at_eof: bool = False,
    ) -> None:
        """Close the connection and fail the head or the body with the mapped error.

        Args:
            exc: what went wrong (None: the server closed cleanly, too early).
            os_error: the error the connection was lost with, if any.
            at_eof: the connection ended (rather than bad bytes arriving).
        """
        self._done = True
        self._stop_timers()
        if self._sending is not None:
            self._sending.cancel()  # the exchange is over: no more of the body
        self._conn.close()
        if not self._head.done():
            err = self._head_error(exc, os_error, at_eof)
            self._head.set_exception(err)
            waiter = self._continue
            if waiter is not None and not waiter.done():
                waiter.set_exception(err)
                waiter.exception()  # the head future reports it; never "not retrieved"
        elif self._stream is not None:
            self._stream.set_exception(self._body_error(exc, os_error))

    def _head_error(
        self, exc: BaseException | None, os_error: BaseException | None, at_eof: bool
    ) -> BaseException:
        if exc is None:
            return ServerDisconnectedError()
        if isinstance(exc, (asyncio.TimeoutError, ClientConnectionError)):
            return exc
        err: BaseException
        if isinstance(os_error, OSError):
            err = ClientOSError(os_error.errno, f"Connection lost before the response: {os_error}")
        elif at_eof:
            err = ServerDisconnectedError(f"Server disconnected inside the response head: {exc}")
        elif isinstance(exc, h1.DecompressionError):
            err = ClientPayloadError(f"Cannot decode the response body: {exc}")
        elif isinstance(exc, h1.LimitExceeded):
            err = ClientResponseError(
                self._request_info, (), status=400,
                message=f"Response head rejected: {exc} (see the session's {exc.limit})",
            )
        elif isinstance(exc, h1.HTTP1Error):
            err = ClientResponseError(
                self._request_info, (), status=400, message=f"Invalid response: {exc}"
            )
        else:
            err = ServerDisconnectedError(f"Server disconnected: {exc!r}")
        err.__cause__ = exc
        return err

    def _body_error(self, exc: BaseException | None, os_error: BaseException | None) -> BaseException:
        if isinstance(exc, (asyncio.TimeoutError, ClientConnectionError)):
            return exc
        if exc is None:
            msg = "Response payload is not completed: the server closed the connection"
        elif isinstance(exc, h1.DecompressionError):
            msg = f"Cannot decode the response body: {exc}"
        elif isinstance(exc, h1.IncompleteBody):
            msg = f"Response payload is not completed: {exc}"
        elif isinstance(exc, h1.HTTP1Error):
            msg = f"Invalid response body: {exc}"
        else:
            msg = "Response payload is not completed"
        if os_error is not None:
            msg = f"{msg}. {os_error!r}"
        err = ClientPayloadError(msg)
        err.__cause__ = exc
        return err
