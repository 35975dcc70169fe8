"""Fixtures of the client tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.httpbin_server import serve_httpbin


@pytest.fixture(scope="session")
def httpbin() -> Iterator[str]:
    """The base URL of a local httpbin, shared by the whole test session."""
    with serve_httpbin() as url:
        yield url
