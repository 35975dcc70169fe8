"""Signal: a list of async callbacks until frozen, then immutable; send order and errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ketch_tracing import Signal


async def cb_a(session: Any, ctx: Any, params: Any) -> None:
    ctx.append(("a", session, params))


async def cb_b(session: Any, ctx: Any, params: Any) -> None:
    ctx.append(("b", session, params))


def _setitem(s: Signal[Any]) -> None:
    s[0] = cb_b


def _setslice(s: Signal[Any]) -> None:
    s[:] = [cb_b]


def _delitem(s: Signal[Any]) -> None:
    del s[0]


def _iadd(s: Signal[Any]) -> None:
    s += [cb_b]


def _imul(s: Signal[Any]) -> None:
    s *= 2


MUTATORS: dict[str, Callable[[Signal[Any]], object]] = {
    "append": lambda s: s.append(cb_b),
    "extend": lambda s: s.extend([cb_b]),
    "insert": lambda s: s.insert(0, cb_b),
    "remove": lambda s: s.remove(cb_a),
    "pop": lambda s: s.pop(),
    "clear": lambda s: s.clear(),
    "reverse": lambda s: s.reverse(),
    "sort": lambda s: s.sort(key=id),
    "setitem": _setitem,
    "setslice": _setslice,
    "delitem": _delitem,
    "iadd": _iadd,
    "imul": _imul,
}


@pytest.mark.parametrize("name", MUTATORS)
def test_every_mutator_works_before_freeze(name: str) -> None:
    s: Signal[Any] = Signal([cb_a])
    before = list(s)
    MUTATORS[name](s)
    assert isinstance(s, Signal)
    if name not in ("reverse", "sort"):  # one element: reversing or sorting changes nothing
        assert list(s) != before


@pytest.mark.parametrize("name", MUTATORS)
def test_every_mutator_raises_after_freeze(name: str) -> None:
    s: Signal[Any] = Signal([cb_a])
    s.freeze()
    with pytest.raises(RuntimeError, match="frozen"):
        MUTATORS[name](s)
    assert list(s) == [cb_a]


def test_freeze_is_idempotent_and_reported() -> None:
    s: Signal[Any] = Signal()
    before = s.frozen
    s.freeze()
    s.freeze()
    assert (before, s.frozen) == (False, True)
    assert "frozen=True" in repr(s)


def test_is_a_list() -> None:
    s: Signal[Any] = Signal()
    assert isinstance(s, list)
    assert not s
    s.append(cb_a)
    assert s and len(s) == 1 and s[0] is cb_a and s == [cb_a]


async def test_send_awaits_each_callback_in_order_with_the_three_arguments() -> None:
    s: Signal[Any] = Signal([cb_a, cb_b, cb_a])
    s.freeze()
    seen: list[tuple[str, object, object]] = []
    await s.send("session", seen, "params")
    assert seen == [("a", "session", "params"), ("b", "session", "params"),
                    ("a", "session", "params")]


async def test_a_raising_callback_propagates_and_stops_the_rest() -> None:
    async def boom(session: Any, ctx: Any, params: Any) -> None:
        raise LookupError("from callback")

    s: Signal[Any] = Signal([cb_a, boom, cb_b])
    seen: list[tuple[str, object, object]] = []
    with pytest.raises(LookupError, match="from callback"):
        await s.send(None, seen, 1)
    assert [name for name, *_ in seen] == ["a"]
