"""Public objects name their public home (``ketch_tracing.TraceConfig``), not a private module."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def public(obj: T) -> T:
    """Set *obj*'s ``__module__`` to the package, for reprs, tracebacks and pickles."""
    obj.__module__ = "ketch_tracing"
    return obj
