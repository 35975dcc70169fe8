"""The params classes: aiohttp's names and fields, frozen and slotted."""

from __future__ import annotations

import dataclasses

import pytest
from multidict import CIMultiDict
from yarl import URL

import ketch_tracing
from ketch_tracing import SIGNALS

# aiohttp's tracing reference: params class -> its fields, in order. Written out here
# (not derived from the package) so that the package is checked against the reference.
AIOHTTP_PARAMS: dict[str, tuple[str, ...]] = {
    "TraceRequestStartParams": ("method", "url", "headers"),
    "TraceRequestChunkSentParams": ("method", "url", "chunk"),
    "TraceResponseChunkReceivedParams": ("method", "url", "chunk"),
    "TraceRequestEndParams": ("method", "url", "headers", "response"),
    "TraceRequestExceptionParams": ("method", "url", "headers", "exception"),
    "TraceRequestRedirectParams": ("method", "url", "headers", "response"),
    "TraceRequestHeadersSentParams": ("method", "url", "headers"),
    "TraceConnectionQueuedStartParams": (),
    "TraceConnectionQueuedEndParams": (),
    "TraceConnectionCreateStartParams": (),
    "TraceConnectionCreateEndParams": (),
    "TraceConnectionReuseconnParams": (),
    "TraceDnsResolveHostStartParams": ("host",),
    "TraceDnsResolveHostEndParams": ("host",),
    "TraceDnsCacheHitParams": ("host",),
    "TraceDnsCacheMissParams": ("host",),
}
KETCH_PARAMS: dict[str, tuple[str, ...]] = {
    "TraceTlsHandshakeStartParams": (),
    "TraceTlsHandshakeEndParams": (),
    "TraceResponseBodyEndParams": ("method", "url"),
}
SAMPLE = {
    "method": "GET",
    "url": URL("http://example.com/x"),
    "headers": CIMultiDict({"A": "1"}),
    "chunk": b"abc",
    "response": object(),
    "exception": ValueError("x"),
    "host": "example.com",
}


@pytest.mark.parametrize("name", [*AIOHTTP_PARAMS, *KETCH_PARAMS])
def test_fields_are_aiohttps(name: str) -> None:
    cls = getattr(ketch_tracing, name)
    expected = {**AIOHTTP_PARAMS, **KETCH_PARAMS}[name]
    assert tuple(f.name for f in dataclasses.fields(cls)) == expected


@pytest.mark.parametrize("name", [*AIOHTTP_PARAMS, *KETCH_PARAMS])
def test_positional_construction_and_frozen(name: str) -> None:
    cls = getattr(ketch_tracing, name)
    fields = {**AIOHTTP_PARAMS, **KETCH_PARAMS}[name]
    params = cls(*(SAMPLE[f] for f in fields))
    for f in fields:
        assert getattr(params, f) is SAMPLE[f]
    if fields:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(params, fields[0], 1)
    else:
        # CPython's frozen+slots dataclasses raise TypeError for a name that is not a
        # field (gh-90055); either way nothing can be changed.
        with pytest.raises((dataclasses.FrozenInstanceError, TypeError)):
            params.anything = 1
    assert not hasattr(params, "__dict__")  # slotted: nothing can be added either


def test_every_params_class_is_in_the_table_once() -> None:
    in_table = [spec.params.__name__ for spec in SIGNALS]
    assert sorted(in_table) == sorted([*AIOHTTP_PARAMS, *KETCH_PARAMS])


def test_headers_are_the_same_mutable_object() -> None:
    # aiohttp documents that on_request_start callbacks may add headers to the request.
    headers: CIMultiDict[str] = CIMultiDict()
    params = ketch_tracing.TraceRequestStartParams("GET", URL("http://h/"), headers)
    params.headers["X-Trace"] = "1"
    assert headers["X-Trace"] == "1"
