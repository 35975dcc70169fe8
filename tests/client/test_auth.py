"""BasicAuth: aiohttp's named tuple, its header encoding and decoding (RFC 7617)."""

from __future__ import annotations

import asyncio
import base64

import pytest
from yarl import URL

import ketch
from tests.servers import HTTPServer, Reply, Request


def test_is_a_named_tuple_with_aiohttp_defaults() -> None:
    auth = ketch.BasicAuth("user")
    assert auth == ("user", "", "latin1")
    login, password, encoding = auth
    assert (login, password, encoding) == ("user", "", "latin1")
    assert auth.login == "user" and auth.password == "" and auth.encoding == "latin1"
    assert repr(auth) == "BasicAuth(login='user', password='', encoding='latin1')"


def test_encode() -> None:
    assert ketch.BasicAuth("Aladdin", "open sesame").encode() == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    # RFC 7617 §2.1: the UTF-8 example
    assert ketch.BasicAuth("test", "123£", encoding="utf-8").encode() == "Basic dGVzdDoxMjPCow=="
    assert ketch.BasicAuth("test", "123£").encode() == "Basic dGVzdDoxMjOj"


def test_password_may_contain_a_colon_login_may_not() -> None:
    assert ketch.BasicAuth.decode(ketch.BasicAuth("u", "a:b").encode()).password == "a:b"
    with pytest.raises(ValueError, match="':'|\":\""):
        ketch.BasicAuth("a:b", "x")


def test_none_is_refused() -> None:
    with pytest.raises(ValueError, match="login"):
        ketch.BasicAuth(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="password"):
        ketch.BasicAuth("u", None)  # type: ignore[arg-type]


def test_unencodable_credentials_fail_loudly() -> None:
    with pytest.raises(UnicodeEncodeError):
        ketch.BasicAuth("Jürgen", "€").encode()  # not latin-1


def test_decode_round_trip_and_encoding() -> None:
    auth = ketch.BasicAuth("Jürgen", "pässwörd€", encoding="utf-8")
    assert ketch.BasicAuth.decode(auth.encode(), encoding="utf-8") == auth
    assert ketch.BasicAuth.decode("basic " + base64.b64encode(b"a:").decode()) == ("a", "", "latin1")


@pytest.mark.parametrize(("header", "message"), [
    ("Basic", "Could not parse"),
    ("Bearer abc", "Unknown authorization method"),
    ("Basic !!!", "Invalid base64"),
    ("Basic " + base64.b64encode(b"nocolon").decode(), "Invalid credentials"),
])
def test_decode_errors(header: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ketch.BasicAuth.decode(header)


def test_from_url() -> None:
    assert ketch.BasicAuth.from_url(URL("http://user:pass@host/")) == ("user", "pass", "latin1")
    assert ketch.BasicAuth.from_url(URL("http://us%40er:p%3As@host/")) == ("us@er", "p:s", "latin1")
    assert ketch.BasicAuth.from_url(URL("http://user@host/")) == ("user", "", "latin1")
    assert ketch.BasicAuth.from_url(URL("http://host/")) is None
    assert ketch.BasicAuth.from_url(URL("http://u:p@h/"), encoding="utf-8").encoding == "utf-8"
    with pytest.raises(TypeError, match="yarl.URL"):
        ketch.BasicAuth.from_url("http://u:p@h/")  # type: ignore[arg-type]


async def test_server_receives_the_encoded_header() -> None:
    async def check(req: Request, writer: asyncio.StreamWriter) -> Reply:
        creds = ketch.BasicAuth.decode(req.header("Authorization") or "")
        return Reply(200 if creds == ("user", "pa:ss", "latin1") else 403)

    async with HTTPServer(check) as server:
        async with ketch.ClientSession() as s:
            auth = ketch.BasicAuth("user", "pa:ss")
            async with s.get(server.url + "/", headers={"Authorization": auth.encode()}) as r:
                assert r.status == 200
            async with s.get(server.url + "/", auth=auth) as r:
                assert r.status == 200
