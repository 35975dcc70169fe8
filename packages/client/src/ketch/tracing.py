"""Compatibility module: what aiohttp's documentation imports from ``aiohttp.tracing``.

Re-exports only; the implementation (and the list of names) is the ``ketch-tracing``
distribution's, so the two cannot drift apart.
"""

import ketch_tracing
from ketch_tracing import *  # noqa: F403

__all__ = ketch_tracing.__all__
