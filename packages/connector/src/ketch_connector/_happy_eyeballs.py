"""Connecting to the first address that answers: Happy Eyeballs (RFC 8305).

Addresses are interleaved by family (RFC 8305 §4: the first family gets *interleave*
addresses in a row, then the families alternate), attempts start one after the other
``delay`` seconds apart or as soon as the previous one failed (§5), and the first socket
to connect wins; the others are cancelled and closed before returning. With ``delay=None``
the addresses are tried strictly one after the other.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Sequence

__all__ = ["AddrInfo", "SocketFactory", "connect_first", "interleave_families"]

AddrInfo = tuple[int, int, int, str, tuple[object, ...]]
SocketFactory = Callable[[AddrInfo], socket.socket]


def interleave_families(infos: Sequence[AddrInfo], first_family_count: int) -> list[AddrInfo]:
    """Reorder *infos* so address families alternate (RFC 8305 §4)."""
    by_family: dict[int, list[AddrInfo]] = {}
    for info in infos:
        by_family.setdefault(info[0], []).append(info)
    if len(by_family) < 2:
        return list(infos)
    queues = list(by_family.values())
    ordered: list[AddrInfo] = list(queues[0][: first_family_count - 1])
    queues[0] = queues[0][first_family_count - 1 :]
    while any(queues):
        for queue in queues:
            if queue:
                ordered.append(queue.pop(0))
    return ordered


async def _attempt(
    loop: asyncio.AbstractEventLoop,
    info: AddrInfo,
    local_infos: Sequence[AddrInfo] | None,
    factory: SocketFactory | None,
) -> socket.socket:
    family, type_, proto, _, address = info
    sock = factory(info) if factory is not None else socket.socket(family, type_, proto)
    try:
        sock.setblocking(False)
        if local_infos is not None:
            _bind_local(sock, family, local_infos)
        await loop.sock_connect(sock, address)
    except BaseException:
        sock.close()
        raise
    return sock


def _bind_local(sock: socket.socket, family: int, local_infos: Sequence[AddrInfo]) -> None:
    errors: list[OSError] = []
    for local in local_infos:
        if local[0] != family:
            continue
        try:
            sock.bind(local[4])
            return
        except OSError as exc:
            errors.append(exc)
    if errors:
        raise errors[0]
    raise OSError(f"no local address of family {socket.AddressFamily(family).name} to bind to")


async def connect_first(
    loop: asyncio.AbstractEventLoop,
    infos: Sequence[AddrInfo],
    *,
    delay: float | None,
    interleave: int | None,
    local_infos: Sequence[AddrInfo] | None = None,
    factory: SocketFactory | None = None,
) -> socket.socket:
    """Connect to the first of *infos* that answers and return its connected socket.

    Raises:
        OSError: every attempt failed (the single error, or one naming them all).
    """
    if delay is not None:
        infos = interleave_families(infos, interleave or 1)
    elif interleave:
        infos = interleave_families(infos, interleave)
    if len(infos) == 1:
        return await _attempt(loop, infos[0], local_infos, factory)
    errors: list[BaseException] = []
    pending: set[asyncio.Task[socket.socket]] = set()
    winner: socket.socket | None = None
    try:
        for index in range(len(infos) + 1):
            if index < len(infos):
                pending.add(asyncio.ensure_future(_attempt(loop, infos[index], local_infos, factory)))
                wait = delay if index + 1 < len(infos) else None
            else:
                wait = None
            while pending:
                done, pending = await asyncio.wait(
                    pending, timeout=wait, return_when=asyncio.FIRST_COMPLETED
                )
                for task in done:
                    exc = task.exception()
                    if exc is not None:
                        errors.append(exc)
                    elif winner is None:
                        winner = task.result()
                    else:
                        task.result().close()
                if winner is not None:
                    return winner
                if not done or index + 1 < len(infos):
                    break  # the delay passed, or an attempt failed: start the next one
    finally:
        for task in pending:
            task.cancel()
        if pending:
            results = await asyncio.gather(*pending, return_exceptions=True)
            for result in results:
                if isinstance(result, socket.socket) and result is not winner:
                    result.close()
    raise _combine(errors)


def _combine(errors: Sequence[BaseException]) -> OSError:
    os_errors = [e for e in errors if isinstance(e, OSError)]
    if len(os_errors) == 1:
        return os_errors[0]
    if not os_errors:
        return OSError("no address to connect to")
    model = str(os_errors[0])
    if all(str(e) == model for e in os_errors):
        return os_errors[0]
    errnos = {e.errno for e in os_errors}
    text = "Multiple exceptions: " + ", ".join(str(e) for e in os_errors)
    if len(errnos) == 1 and None not in errnos:
        return OSError(errnos.pop(), text)
    return OSError(text)
