"""Compatibility module: ``from aiohttp.resolver import AsyncResolver`` as aiohttp documents.

Re-exports only; the resolvers live in ``ketch-connector``.
"""

from ketch_connector import (
    AbstractResolver,
    AsyncResolver,
    DefaultResolver,
    ResolveResult,
    ThreadedResolver,
)

__all__ = ["AbstractResolver", "AsyncResolver", "DefaultResolver", "ResolveResult", "ThreadedResolver"]
