"""ClientTimeout: what each timeout bounds, and the deadline arithmetic behind it.

Theory of operation. A request has up to four clocks, each optional (None or 0 =
unbounded, as aiohttp's ``ceil_timeout`` treats a delay <= 0):

``total``
    One deadline for the whole request, started when ``session.request()`` begins:
    building it, every redirect hop, connecting, sending, waiting for each head, and
    reading the final body (the response gets the same deadline). Expiry raises
    ``asyncio.TimeoutError`` (the builtin ``TimeoutError``), as aiohttp does.
``connect``
    Acquiring a connection for one hop: waiting for a free pool slot *and* connecting
    (DNS, TCP, TLS, proxy tunnel). Expiry while queued for a slot raises
    ``PoolTimeoutError``; while connecting, ``ConnectionTimeoutError``. Both are
    ``ServerTimeoutError`` and ``asyncio.TimeoutError``.
``sock_connect``
    Connecting to the peer for a new connection (not pool waiting). Expiry raises
    ``ConnectionTimeoutError``.
``sock_read``
    The longest silence allowed while waiting for the server: from the request being sent
    to the response head, then between two pieces of the body. Every read restarts it.
    Expiry raises ``SocketTimeoutError``.

``ceil_threshold``: a timeout of at least this many seconds is rounded up to a whole
second of the loop clock, so many timers share a deadline and the loop wakes less often
(aiohttp's behaviour); shorter ones are exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["ClientTimeout", "DEFAULT_TIMEOUT", "deadline_after"]


@dataclass(frozen=True, slots=True)
class ClientTimeout:
    """Timeouts of a request, in seconds; None or 0 means no limit (as aiohttp).

    Args:
        total: the whole request, redirects and reading the body included.
        connect: acquiring a connection: waiting for a pool slot plus connecting.
        sock_read: the longest wait for bytes from the server (head or body), reset by
            every read.
        sock_connect: connecting a new connection to the peer.
        ceil_threshold: timeouts of at least this many seconds are rounded up to whole
            seconds of the loop clock.

    Raises:
        ValueError: a value is negative (or not a number).
    """

    __module__ = "ketch"

    total: float | None = None
    connect: float | None = None
    sock_read: float | None = None
    sock_connect: float | None = None
    ceil_threshold: float = 5

    def __post_init__(self) -> None:
        for name in ("total", "connect", "sock_read", "sock_connect", "ceil_threshold"):
            value = getattr(self, name)
            if value is None and name != "ceil_threshold":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"ClientTimeout.{name} must be a number >= 0 or None, got {value!r}")


# aiohttp's default: five minutes for the whole request, 30 seconds to connect a socket.
DEFAULT_TIMEOUT: ClientTimeout = ClientTimeout(total=5 * 60, sock_connect=30)


def deadline_after(now: float, delay: float | None, ceil_threshold: float) -> float | None:
    """The loop time *delay* seconds after *now* (rounded up as ``ceil_threshold`` says)."""
    if delay is None:
        return None
    when = now + delay
    if delay >= ceil_threshold:
        return float(math.ceil(when))
    return when
