"""``ketch.hdrs``: aiohttp's method and header-name constants, usable where aiohttp code uses them."""

from __future__ import annotations

import asyncio

from multidict import CIMultiDict, istr

import ketch
from ketch import hdrs
from tests.servers import HTTPServer, Reply, Request

# Names aiohttp 3.x code reaches for most (all are in aiohttp's hdrs module).
COMMON = {
    "ACCEPT", "ACCEPT_ENCODING", "AUTHORIZATION", "CACHE_CONTROL", "CONNECTION",
    "CONTENT_DISPOSITION", "CONTENT_ENCODING", "CONTENT_LENGTH", "CONTENT_TYPE", "COOKIE",
    "ETAG", "HOST", "IF_NONE_MATCH", "LAST_MODIFIED", "LOCATION", "PROXY_AUTHORIZATION",
    "RANGE", "SET_COOKIE", "TRANSFER_ENCODING", "USER_AGENT", "WWW_AUTHENTICATE",
    "X_FORWARDED_FOR", "SEC_WEBSOCKET_KEY", "ACCESS_CONTROL_ALLOW_ORIGIN",
}
METHODS = {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"}


def constants() -> dict[str, object]:
    return {name: value for name, value in vars(hdrs).items() if name.isupper()}


def test_methods() -> None:
    for method in METHODS:
        assert getattr(hdrs, f"METH_{method}") == method
    assert hdrs.METH_ANY == "*"
    assert hdrs.METH_ALL == METHODS


def test_header_names_are_istr_spelled_as_named() -> None:
    names = {n: v for n, v in constants().items() if not n.startswith("METH_") and n != "HOST_ALL"}
    assert COMMON <= set(names)
    assert len(names) == 132  # as many field names as aiohttp 3.14's hdrs
    for name, value in names.items():
        assert type(value) is istr, name
        # The constant's name is its field name upper-cased with '-' as '_': catches typos.
        assert value.upper().replace("-", "_") == name, (name, value)
    assert hdrs.CONTENT_TYPE == "Content-Type" and hdrs.ETAG == "ETag"
    assert {"host", "HOST", "hOsT"} <= hdrs.HOST_ALL and len(hdrs.HOST_ALL) == 16


def test_star_import_brings_only_constants() -> None:
    namespace: dict[str, object] = {}
    exec("from ketch.hdrs import *", namespace)
    imported = {n for n in namespace if n != "__builtins__"}
    assert imported == set(constants())


async def test_constants_as_request_header_names() -> None:
    async def echo(req: Request, writer: asyncio.StreamWriter) -> Reply:
        return Reply(body=req.body, headers=[("Content-Type", req.header("Content-Type") or "")])

    async with HTTPServer(echo) as server, ketch.ClientSession() as session:
        async with session.request(
            hdrs.METH_POST, server.url + "/x",
            data=b"<a/>",
            headers={hdrs.CONTENT_TYPE: "application/xml", hdrs.ACCEPT: "application/xml"},
        ) as resp:
            assert resp.status == 200
            assert resp.headers[hdrs.CONTENT_TYPE] == "application/xml"
            assert await resp.read() == b"<a/>"
        sent = server.requests[0]
        assert sent.method == "POST"
        assert sent.header("Content-Type") == "application/xml"
        assert sent.header("Accept") == "application/xml"
        assert [k for k, _ in sent.headers].count("Content-Type") == 1  # not doubled by the body
    merged: CIMultiDict[str] = CIMultiDict({hdrs.CONTENT_TYPE: "a"})
    assert merged["content-type"] == "a"
