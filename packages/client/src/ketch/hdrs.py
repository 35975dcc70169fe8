"""Compatibility module: ``from aiohttp import hdrs`` constants (``hdrs.CONTENT_TYPE``,
``hdrs.METH_GET``, ...).

Re-exports only; the constants live in ``ketch._hdrs``.
"""

from ._hdrs import *  # noqa: F403 (the constants are the module's whole surface)
