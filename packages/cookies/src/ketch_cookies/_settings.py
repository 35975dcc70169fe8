"""The jar's settings: limits (RFC 6265 §6.1) and the clock it reads time from."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Clock", "CookieLimits"]


class Clock(Protocol):
    """Where the jar reads the time: seconds since the epoch, like ``time.time``.

    Inject one to test expiry without sleeping or patching.
    """

    def __call__(self) -> float: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class CookieLimits:
    """How much the jar keeps (RFC 6265 §6.1 gives the minimums user agents should allow).

    When a domain or the whole jar is over its limit, expired cookies go first, then the
    least recently used ones (§5.3: "oldest last-access date").

    Args:
        max_cookie_size: the largest name plus value, in characters (4096 as browsers).
        max_cookies_per_domain: cookies kept per cookie domain (180 as Chrome and Firefox).
        max_cookies: cookies kept in all (3000 in browsers; a client talking to many
            sites keeps more by default).
        max_lifetime: the furthest in the future an expiry may be, in seconds; later
            ones are brought forward (400 days, as RFC 6265bis and browsers); None keeps
            every expiry as sent.

    Raises:
        ValueError: a limit is not a positive number (names the limit and the value).
    """

    __module__ = "ketch_cookies"

    max_cookie_size: int = 4096
    max_cookies_per_domain: int = 180
    max_cookies: int = 10_000
    max_lifetime: float | None = 400 * 86400.0

    def __post_init__(self) -> None:
        for name in ("max_cookie_size", "max_cookies_per_domain", "max_cookies"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"CookieLimits.{name} must be a positive int, got {value!r}")
        lifetime = self.max_lifetime
        # type(...) in: bool is an int subclass but no lifetime.
        if lifetime is not None and not (
            type(lifetime) in (int, float) and math.isfinite(lifetime) and lifetime > 0
        ):
            raise ValueError(
                f"CookieLimits.max_lifetime must be a positive number or None, got {lifetime!r}"
            )
