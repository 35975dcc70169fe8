"""Following redirects: the next hop's method, URL and what it may carry (RFC 9110 §15.4).

Per hop the session asks :func:`next_hop` what to do with a 3xx response. The rules:

- 301 and 302 turn POST into GET (what browsers do, allowed by RFC 9110 §15.4.2/§15.4.3);
  303 turns everything except HEAD into GET (§15.4.4); a method turned into GET, and any
  request after a 303, loses its body. 307 and 308 resend the same method and body (§15.4.8/§15.4.9); a body that
  cannot be sent twice makes the redirect fail with ``ClientPayloadError`` instead of
  silently sending nothing.
- ``Location`` may be relative (RFC 9110 §10.2.2); it is resolved against the current URL.
  A target that is not http(s) raises ``NonHttpUrlRedirectClientError``; one that cannot be
  parsed or has no host raises ``InvalidUrlRedirectClientError``.
- When scheme, host or port changes, the credentials bound to the old origin
  (``Authorization``, ``Proxy-Authorization``, ``Cookie`` headers, ``auth=``, per-request
  cookies) are not carried over; the cookie jar decides afresh for the new URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from yarl import URL

from ._exceptions import (
    ClientPayloadError,
    InvalidUrlRedirectClientError,
    NonHttpUrlRedirectClientError,
    TooManyRedirects,
)

if TYPE_CHECKING:
    from ketch_tracing import Trace

    from ._request import BodyPayload
    from ._response import ClientResponse

__all__ = ["REDIRECT_STATUSES", "RedirectHop", "next_hop", "redirect_hop"]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_HTTP_SCHEMES = frozenset({"http", "https"})
# Stripped as browsers do before looking at a Location (WHATWG URL: C0 controls and space).
_C0_OR_SPACE = "".join(map(chr, range(0x21)))


@dataclass(frozen=True, slots=True)
class RedirectHop:
    """Where a redirect leads.

    Attributes:
        method: the next request's method.
        url: the absolute next URL.
        keep_body: whether the body is sent again.
        same_origin: whether scheme, host and port are unchanged.
    """

    method: str
    url: URL
    keep_body: bool
    same_origin: bool


def next_hop(status: int, method: str, url: URL, location: str, requote: bool = True) -> RedirectHop:
    """Decide the hop a redirect response asks for.

    Args:
        status: the redirect status (301, 302, 303, 307 or 308).
        method: the method of the request that got it.
        url: the URL of that request.
        location: the ``Location`` header value.
        requote: re-quote the location (``requote_redirect_url``); False takes it as
            already encoded.

    Raises:
        InvalidUrlRedirectClientError: the location is not a URL or has no host.
        NonHttpUrlRedirectClientError: the location's scheme is not http or https.
    """
    try:
        target = URL(location, encoded=not requote)
    except ValueError as exc:
        raise InvalidUrlRedirectClientError(
            location, "Server attempted redirecting to a location that does not look like a URL"
        ) from exc
    scheme = target.scheme
    if scheme and scheme not in _HTTP_SCHEMES:
        raise NonHttpUrlRedirectClientError(location)
    if not scheme or (scheme == url.scheme and _has_no_authority(location, scheme)):
        # "http:/path" or "http:path" is relative to the current URL, as browsers read it.
        target = url.join(target)
    if not target.raw_host:
        raise InvalidUrlRedirectClientError(location, "redirect location has no host")
    try:
        same = target.origin() == url.origin()
    except ValueError as exc:
        raise InvalidUrlRedirectClientError(target, "Invalid redirect URL origin") from exc
    if status == 303:
        # §15.4.4: retrieve the other resource: GET (HEAD stays HEAD), never with the body.
        return RedirectHop("HEAD" if method == "HEAD" else "GET", target, False, same)
    if status in (301, 302) and method == "POST":
        return RedirectHop("GET", target, False, same)
    return RedirectHop(method, target, True, same)


def _has_no_authority(location: str, scheme: str) -> bool:
    """Whether ``scheme:`` is not followed by ``//`` (a backslash counts as a slash)."""
    rest = location.strip(_C0_OR_SPACE).replace("\t", "").replace("\n", "").replace("\r", "")
    after = rest[len(scheme) + 1 : len(scheme) + 3]
    return len(after) < 2 or after[0] not in "/\\" or after[1] not in "/\\"


async def redirect_hop(
    resp: ClientResponse, history: list[ClientResponse], method: str, url: URL,
    hop_url: URL, headers: Any, payload: BodyPayload | None, traces: Sequence[Trace] | None,
    max_redirects: int, requote: bool,
) -> RedirectHop | None:
    """Record a redirect response and decide its hop; the response is then released.

    Args:
        resp: the 3xx response.
        history: the responses so far; *resp* is appended when it is a hop.
        method, url: the request as asked (for the trace signal); *hop_url* without
            credentials, for resolving the Location.
        headers: the hop's request headers (for the trace signal).
        payload: the request body, to check it can be sent again.
        traces: the request's traces, or None.
        max_redirects: the most hops (0: no limit).
        requote: re-quote the Location (``requote_redirect_url``).

    Returns:
        The next hop, or None when the response names no Location (it is the answer).

    Raises:
        TooManyRedirects: *history* reached *max_redirects*.
        ClientPayloadError: the body must be sent again but cannot be.
        InvalidUrlRedirectClientError, NonHttpUrlRedirectClientError: a bad Location.
    """
    if traces:
        for t in traces:
            await t.send_request_redirect(method, url, headers, resp)
    location = resp.headers.get("Location") or resp.headers.get("URI")
    if location is None:
        return None
    history.append(resp)
    if max_redirects and len(history) >= max_redirects:
        resp.close()
        raise TooManyRedirects(history[0].request_info, tuple(history), status=resp.status,
                               message="Too many redirects", headers=resp.headers)
    try:
        hop = next_hop(resp.status, method, hop_url, location, requote)
    except BaseException:
        resp.close()
        raise
    if hop.keep_body and payload is not None and not payload.is_replayable:
        resp.close()
        raise ClientPayloadError(
            f"cannot follow the {resp.status} redirect to {hop.url}: the request body cannot "
            "be sent again (use bytes or a seekable file, or allow_redirects=False)")
    resp.release()
    return hop
