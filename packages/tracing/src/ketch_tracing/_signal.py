"""Signal: a list of async callbacks that can be frozen (aiohttp's ``aiosignal.Signal``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Generic, SupportsIndex, TypeVar, overload

from ._public import public
__all__ = ["Callback", "Signal"]

P = TypeVar("P")

# The session and context are typed Any on purpose: the session is the client's
# ClientSession (a type this package cannot import) and the context is whatever the
# TraceConfig's factory makes; narrower types here would reject aiohttp-typed callbacks
# such as ``async def cb(session: ClientSession, ctx: SimpleNamespace, params: ...)``.
Callback = Callable[[Any, Any, P], Awaitable[None]]


@public
class Signal(list[Callback[P]], Generic[P]):
    """A list of async callbacks ``async def cb(session, trace_config_ctx, params)``.

    It is an ordinary ``list`` until :meth:`freeze` (``ClientSession`` freezes the
    signals of its trace configs when it is created); after that every change raises
    ``RuntimeError``, as aiohttp's signals do. Being a real ``list`` keeps the send path
    cheap: its truth test and iteration run in C.
    """

    __slots__ = ("_frozen",)

    def __init__(self, callbacks: Iterable[Callback[P]] = ()) -> None:
        super().__init__(callbacks)
        self._frozen = False

    @property
    def frozen(self) -> bool:
        """Whether :meth:`freeze` was called."""
        return self._frozen

    def freeze(self) -> None:
        """Refuse every later change (idempotent)."""
        self._frozen = True

    async def send(self, session: object, trace_config_ctx: object, params: P) -> None:
        """Await each callback in order with ``(session, trace_config_ctx, params)``.

        Raises:
            Exception: whatever a callback raises propagates at once (later callbacks do
                not run), and so out of the request that sent the signal, as in aiohttp.
        """
        for callback in self:
            await callback(session, trace_config_ctx, params)

    def __repr__(self) -> str:
        return f"<Signal frozen={self._frozen} {list.__repr__(self)}>"

    def _check_mutable(self) -> None:
        if self._frozen:
            raise RuntimeError(f"Cannot modify frozen signal {list.__repr__(self)}")

    def append(self, callback: Callback[P], /) -> None:
        self._check_mutable()
        super().append(callback)

    def extend(self, callbacks: Iterable[Callback[P]], /) -> None:
        self._check_mutable()
        super().extend(callbacks)

    def insert(self, index: SupportsIndex, callback: Callback[P], /) -> None:
        self._check_mutable()
        super().insert(index, callback)

    def remove(self, callback: Callback[P], /) -> None:
        self._check_mutable()
        super().remove(callback)

    def pop(self, index: SupportsIndex = -1, /) -> Callback[P]:
        self._check_mutable()
        return super().pop(index)

    def clear(self) -> None:
        self._check_mutable()
        super().clear()

    def reverse(self) -> None:
        self._check_mutable()
        super().reverse()

    def sort(self, *, key: Any = None, reverse: bool = False) -> None:
        self._check_mutable()
        super().sort(key=key, reverse=reverse)

    def __iadd__(self, callbacks: Iterable[Callback[P]], /) -> Signal[P]:  # type: ignore[override,misc]
        # list.__iadd__ returns list[T]; a Signal stays a Signal, hence the ignore.
        self._check_mutable()
        super().__iadd__(callbacks)
        return self

    def __imul__(self, n: SupportsIndex, /) -> Signal[P]:
        self._check_mutable()
        super().__imul__(n)
        return self

    @overload
    def __setitem__(self, index: SupportsIndex, callback: Callback[P], /) -> None: ...

    @overload
    def __setitem__(self, index: slice, callbacks: Iterable[Callback[P]], /) -> None: ...

    def __setitem__(self, index: Any, value: Any, /) -> None:
        self._check_mutable()
        super().__setitem__(index, value)

    def __delitem__(self, index: SupportsIndex | slice, /) -> None:
        self._check_mutable()
        super().__delitem__(index)
