"""The stored cookie (RFC 6265 §5.3's record) and the ``Morsel`` views of it."""

from __future__ import annotations

from http.cookies import Morsel
from typing import Any, ClassVar

from ._dates import format_cookie_date

__all__ = ["JarMorsel", "SentMorsel", "StoredCookie", "set_flags", "set_state", "sort_key"]


def set_flags(
    morsel: Morsel[str], secure: bool, http_only: bool, same_site: str | None, partitioned: bool
) -> None:
    """Set the flag attributes a cookie carries (the ones with no value or a keyword)."""
    if secure:
        morsel["secure"] = True
    if http_only:
        morsel["httponly"] = True
    if same_site is not None:
        morsel["samesite"] = same_site
    if partitioned:
        morsel["partitioned"] = True


def set_state(morsel: Morsel[str], key: str, value: str, coded_value: str) -> None:
    """Set a morsel's name and values without ``Morsel.set``'s stricter name check."""
    Morsel.__setstate__(  # type: ignore[attr-defined]  # stdlib method missing from typeshed
        morsel, {"key": key, "value": value, "coded_value": coded_value}
    )


class JarMorsel(Morsel[str]):
    """A ``Morsel`` that also knows the ``Partitioned`` attribute (CHIPS).

    Python's ``Morsel`` learned ``partitioned`` in 3.14; this subclass carries it on
    every version, so cookies read from the jar show all of their attributes.
    """

    __module__ = "ketch_cookies"

    _reserved: ClassVar[dict[str, str]] = {
        **Morsel._reserved,  # type: ignore[attr-defined]  # stdlib class attribute
        "partitioned": "Partitioned",
    }
    _flags: ClassVar[set[str]] = {*Morsel._flags, "partitioned"}  # type: ignore[attr-defined]


_BLANK_ATTRIBUTES: dict[str, str] = dict(Morsel())


class SentMorsel(Morsel[str]):
    """The name and value of a cookie as sent, shared between requests and read-only.

    ``filter_cookies`` reuses one per stored cookie instead of building new ones on
    every request; changing it would change what the jar sends, so it refuses. Use
    ``copy()`` for a private, mutable ``Morsel``.
    """

    __module__ = "ketch_cookies"

    _frozen = False

    def __init__(self, key: str, value: str, coded_value: str) -> None:
        # Morsel.__init__ fills its attributes one by one in Python; copying a blank
        # morsel's in one C call makes the first send of a cookie several times cheaper.
        dict.update(self, _BLANK_ATTRIBUTES)
        # __setstate__ skips Morsel.set's name check, which is narrower than RFC 6265 §5.2.
        set_state(self, key, value, coded_value)
        self._frozen = True

    def _refuse(self) -> None:
        if self._frozen:
            raise TypeError(
                f"the Morsel for cookie {self.key!r} is shared by the cookie jar and "
                "read-only; use .copy() to get one you can change"
            )

    def __setitem__(self, key: str, value: Any) -> None:
        self._refuse()
        super().__setitem__(key, value)

    def set(self, key: str, val: str, coded_val: str) -> None:
        """Refused once built (the morsel is shared); see the class docstring."""
        self._refuse()
        super().set(key, val, coded_val)

    def setdefault(self, key: str, val: Any = None) -> Any:
        """Refused once built (the morsel is shared); see the class docstring."""
        self._refuse()
        return super().setdefault(key, val)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Refused once built (the morsel is shared); see the class docstring."""
        self._refuse()
        super().update(*args, **kwargs)

    def __delitem__(self, key: str) -> None:
        self._refuse()
        super().__delitem__(key)

    def pop(self, *args: Any) -> Any:
        """Refused once built (the morsel is shared); see the class docstring."""
        self._refuse()
        return super().pop(*args)

    def popitem(self) -> tuple[str, Any]:
        """Refused once built (the morsel is shared); see the class docstring."""
        self._refuse()
        return super().popitem()

    def clear(self) -> None:
        """Refused once built (the morsel is shared); see the class docstring."""
        self._refuse()
        super().clear()

    def __setstate__(self, state: dict[str, str]) -> None:
        self._refuse()
        super().__setstate__(state)  # type: ignore[misc]  # stdlib method, untyped


def sort_key(path: str, seq: int) -> int:
    """§5.4 step 2 as one int: longer paths first, then earlier creation.

    The jar numbers cookies (``seq``) in the order it creates them, which is the order
    of their creation times; one int sorts far faster than a tuple in the hot path.
    """
    return seq - (len(path) << 48)


class StoredCookie:
    """One cookie in the store with the fields of RFC 6265 §5.3.

    ``expires`` is an absolute POSIX time, or None for a session (non-persistent)
    cookie. ``domain`` is the empty string for a shared cookie: one given to
    ``update_cookies`` without a URL, which is sent to every host. ``seq`` orders
    cookies created in the same clock tick.
    """

    __slots__ = (
        "coded_value",
        "creation",
        "domain",
        "expires",
        "host_only",
        "http_only",
        "last_access",
        "name",
        "partitioned",
        "path",
        "same_site",
        "secure",
        "seq",
        "sort_key",
        "sent",
        "value",
    )

    def __init__(
        self,
        name: str,
        value: str,
        coded_value: str,
        domain: str,
        path: str,
        *,
        host_only: bool,
        secure: bool,
        http_only: bool,
        expires: float | None,
        same_site: str | None,
        partitioned: bool,
        creation: float,
        seq: int,
    ) -> None:
        self.name = name
        self.value = value
        self.coded_value = coded_value
        self.domain = domain
        self.path = path
        self.host_only = host_only
        self.secure = secure
        self.http_only = http_only
        self.expires = expires
        self.same_site = same_site
        self.partitioned = partitioned
        self.creation = creation
        self.last_access = creation
        self.seq = seq
        self.sort_key = sort_key(path, seq)
        self.sent: SentMorsel | None = None  # built on first send, then reused

    def keep_creation_of(self, old: StoredCookie) -> None:
        """§5.3 step 11.3: a replacing cookie keeps the creation time of the one it replaces."""
        self.creation = old.creation
        self.seq = old.seq
        self.sort_key = sort_key(self.path, old.seq)

    @property
    def key(self) -> tuple[str, str, str]:
        """The cookie's identity in the store: (domain, path, name)."""
        return (self.domain, self.path, self.name)

    def sent_morsel(self) -> SentMorsel:
        """The read-only name/value ``Morsel`` that ``filter_cookies`` returns (cached)."""
        sent = self.sent
        if sent is None:
            sent = self.sent = SentMorsel(self.name, self.value, self.coded_value)
        return sent

    def to_morsel(self) -> JarMorsel:
        """A new ``Morsel`` with every attribute, as ``Set-Cookie`` would carry it."""
        morsel = JarMorsel()
        set_state(morsel, self.name, self.value, self.coded_value)
        morsel["domain"] = self.domain
        morsel["path"] = self.path
        if self.expires is not None:
            morsel["expires"] = format_cookie_date(self.expires)
        set_flags(morsel, self.secure, self.http_only, self.same_site, self.partitioned)
        return morsel

    def __repr__(self) -> str:
        scope = "host-only" if self.host_only else "domain"
        return (
            f"<StoredCookie {self.name}={self.coded_value!r} {scope} {self.domain!r} "
            f"path={self.path!r} expires={self.expires!r}>"
        )
