"""Client middlewares (aiohttp 3.12+): functions wrapped around sending one request.

A middleware is ``async def mw(request: ClientRequest, handler) -> ClientResponse``. It may
change the request (headers, URL, body) before calling ``await handler(request)``, look at
the response, call the handler again (retry, refresh a token and resend), or answer
without calling it. Middlewares run once per hop: a redirect sends a new request through
the whole chain again. The first middleware in the list is the outermost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._request import ClientRequest
    from ._response import ClientResponse

__all__ = ["ClientHandlerType", "ClientMiddlewareType", "build_client_middlewares"]

ClientHandlerType = Callable[["ClientRequest"], Awaitable["ClientResponse"]]
ClientMiddlewareType = Callable[["ClientRequest", ClientHandlerType], Awaitable["ClientResponse"]]


def build_client_middlewares(
    handler: ClientHandlerType, middlewares: Sequence[ClientMiddlewareType]
) -> ClientHandlerType:
    """Wrap *handler* in *middlewares*, the first one outermost.

    Args:
        handler: sends one request and returns its response.
        middlewares: the chain; an empty one returns *handler* itself.

    Returns:
        A handler with the same signature that runs the chain.
    """
    for mw in reversed(middlewares):
        handler = _bind(mw, handler)
    return handler


def _bind(mw: ClientMiddlewareType, inner: ClientHandlerType) -> ClientHandlerType:
    def call(request: ClientRequest) -> Awaitable[ClientResponse]:
        return mw(request, inner)

    return call
