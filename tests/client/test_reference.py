"""Every client example of the reference text (client-advanced-usage.rst), run as written
with ``import ketch as aiohttp``, against a local httpbin.

Only addresses change: ``httpbin.org`` and ``example.com`` become the local httpbin
(``localhost`` where cookies are involved, since the strict jar refuses IP-address hosts,
as the reference's "Cookie Safety" says), ``badssl.com`` and ``python.org`` a local TLS
httpbin with trustme certificates. Where the reference prints, the test checks what would
be printed. The proxy examples live in test_reference_proxy.py.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import ssl
import tempfile
import zlib
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import trustme
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

import ketch as aiohttp
from ketch import BasicAuth, ClientResponse, ClientSession
from tests.httpbin_server import serve_httpbin
from tests.servers import HTTPServer, Reply, Request


@pytest.fixture
def named(httpbin: str) -> str:
    """The local httpbin under a host name (cookies are not kept for IP-address hosts)."""
    return httpbin.replace("127.0.0.1", "localhost")


# -- Custom Request Headers ------------------------------------------------------------


async def test_custom_content_type(httpbin: str) -> None:
    url = httpbin + "/post"
    payload = (b'GIF89a\x01\x00\x01\x00\x00\xff\x00,\x00\x00'
               b'\x00\x00\x01\x00\x01\x00\x00\x02\x00;')
    headers = {'content-type': 'image/gif'}
    async with ClientSession() as session:
        resp = await session.post(url,
                                  data=payload,
                                  headers=headers)
        echoed = await resp.json()
        resp.release()
    assert echoed["headers"]["Content-Type"] == "image/gif"
    assert echoed["data"] == "data:application/octet-stream;base64," + \
        base64.b64encode(payload).decode()


async def test_session_default_headers(httpbin: str) -> None:
    headers = {"Authorization": "Basic bG9naW46cGFzcw=="}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(httpbin + "/headers") as r:
            json_body = await r.json()
            assert json_body['headers']['Authorization'] == \
                'Basic bG9naW46cGFzcw=='


async def test_json_and_text_bodies(httpbin: str) -> None:
    url = httpbin + "/post"
    async with ClientSession() as session:
        resp = await session.post(url, json={'example': 'text'})
        body = await resp.json()
        assert body["json"] == {"example": "text"}
        assert body["headers"]["Content-Type"] == "application/json"
        resp = await session.post(url, data='Привет, Мир!')
        body = await resp.json()
        assert body["data"] == "Привет, Мир!"
        assert body["headers"]["Content-Type"] == "text/plain; charset=utf-8"


# -- Authentication ----------------------------------------------------------------------


async def test_basic_auth_for_the_session(httpbin: str) -> None:
    auth = BasicAuth(login="user", password="pass")
    async with ClientSession(auth=auth) as session:
        async with session.get(httpbin + "/basic-auth/user/pass") as resp:
            assert resp.status == 200
            assert await resp.json() == {"authenticated": True, "user": "user"}


async def test_credentials_in_a_redirect_url_supersede_earlier_ones(httpbin: str) -> None:
    start = URL(httpbin + "/redirect-to").with_user("user").with_password("pw")
    target = URL(httpbin + "/basic-auth/other_user/pw").with_user("other_user").with_password("pw")
    async with ClientSession() as session:
        async with session.get(start.with_query(url=str(target))) as resp:
            assert resp.status == 200
            assert (await resp.json())["user"] == "other_user"


async def test_auth_and_url_credentials_together_are_a_value_error(httpbin: str) -> None:
    url = URL(httpbin + "/basic-auth/user/pass").with_user("user").with_password("pass")
    async with ClientSession() as session:
        with pytest.raises(ValueError):
            await session.get(url, auth=BasicAuth("user", "pass"))


async def test_bearer_header_and_updating_session_headers(httpbin: str) -> None:
    headers = {"Authorization": "Bearer eyJh...0M30"}
    async with ClientSession(headers=headers) as session:
        async with session.get(httpbin + "/bearer") as resp:
            assert resp.status == 200
            assert (await resp.json())["token"] == "eyJh...0M30"
        session.headers["Authorization"] = "Bearer eyJh...1OH0"
        headers["Authorization"] = "Bearer changed-the-original"  # a copy was taken
        async with session.get(httpbin + "/bearer") as resp:
            assert (await resp.json())["token"] == "eyJh...1OH0"
        assert isinstance(session.headers, CIMultiDict)


async def test_authorization_is_dropped_on_redirect_to_another_host(
    httpbin: str, named: str
) -> None:
    headers = {"Authorization": "Bearer eyJh...0M30"}
    elsewhere = named + "/headers"
    async with ClientSession(headers=headers) as session:
        async with session.get(httpbin + "/redirect-to", params={"url": elsewhere}) as resp:
            assert resp.url == URL(elsewhere)
            assert "Authorization" not in (await resp.json())["headers"]


# -- Custom Cookies ------------------------------------------------------------------------


async def test_session_cookies(named: str) -> None:
    url = named + "/cookies"
    cookies = {'cookies_are': 'working'}
    async with ClientSession(cookies=cookies) as session:
        async with session.get(url) as resp:
            assert await resp.json() == {
               "cookies": {"cookies_are": "working"}}


async def test_cookies_shared_between_requests(named: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(
            named + "/cookies/set?my_cookie=my_value",
            allow_redirects=False
        ) as resp:
            assert resp.cookies["my_cookie"].value == "my_value"
        async with session.get(named + "/cookies") as r:
            json_body = await r.json()
            assert json_body["cookies"]["my_cookie"] == "my_value"


# -- Response Headers and Cookies -----------------------------------------------------------


async def test_response_headers(httpbin: str) -> None:
    async with ClientSession() as session:
        async with session.get(httpbin + "/get") as resp:
            assert isinstance(resp.headers, CIMultiDictProxy)
            # The reference spells the keys in capitals; comparing a multidict with a
            # plain dict matches keys exactly (multidict's rule, in aiohttp too), so the
            # keys are written as the server sent them.
            assert resp.headers == {
                'Server': resp.headers['SERVER'],
                'Date': resp.headers['date'],
                'Content-Type': 'application/json',
                'Content-Length': resp.headers['content-length'],
                'Access-Control-Allow-Origin': '*',
                'Access-Control-Allow-Credentials': 'true',
                'Connection': resp.headers['connection'],
            }
            assert resp.headers['Content-Type'] == 'application/json'
            assert resp.headers.get('content-type') == 'application/json'
            assert (b'Content-Type', b'application/json') in resp.raw_headers
            assert all(isinstance(k, bytes) and isinstance(v, bytes)
                       for k, v in resp.raw_headers)


async def test_response_cookies_are_those_of_the_last_response(named: str) -> None:
    url = named + "/cookies/set/example_cookie_name/example_value"
    async with ClientSession() as session:
        async with session.get(url, allow_redirects=False) as resp:
            assert resp.cookies['example_cookie_name'].value == "example_value"
        async with session.get(url) as resp:
            # The last response of the redirect chain set no cookie...
            assert 'example_cookie_name' not in resp.cookies
            assert resp.history[0].cookies['example_cookie_name'].value == "example_value"
            # ...the session kept it, and sent it on the next hop.
            assert (await resp.json())["cookies"] == {"example_cookie_name": "example_value"}


# -- Redirection History -----------------------------------------------------------------


async def test_redirection_history(httpbin: str) -> None:
    async with ClientSession() as session:
        resp = await session.get(httpbin + '/redirect/1')
        assert resp.status == 200
        assert resp.url == URL(httpbin + '/get')
        assert len(resp.history) == 1
        assert resp.history[0].status == 302
        assert resp.history[0].url == URL(httpbin + '/redirect/1')
        resp.release()
        resp = await session.get(httpbin + '/redirect/1', allow_redirects=False)
        assert resp.status == 302
        assert resp.history == ()
        resp.release()


# -- Cookie Jar ------------------------------------------------------------------------------


async def test_strict_jar_refuses_ip_hosts_and_unsafe_accepts_them(httpbin: str) -> None:
    async with ClientSession() as session:
        async with session.get(httpbin + "/cookies/set?k=v") as resp:
            assert (await resp.json())["cookies"] == {}
    jar = aiohttp.CookieJar(unsafe=True)
    session = aiohttp.ClientSession(cookie_jar=jar)
    async with session.get(httpbin + "/cookies/set?k=v") as resp:
        assert (await resp.json())["cookies"] == {"k": "v"}
    await session.close()


async def test_quote_cookie_false_sends_values_as_they_are(named: str) -> None:
    async def sent_cookie(jar: aiohttp.CookieJar) -> str:
        session = aiohttp.ClientSession(cookie_jar=jar, cookies={"k": "a,b"})
        async with session.get(named + "/headers") as resp:
            header: str = (await resp.json())["headers"]["Cookie"]
        await session.close()
        return header

    assert await sent_cookie(aiohttp.CookieJar()) == 'k="a\\054b"'
    jar = aiohttp.CookieJar(quote_cookie=False)
    assert await sent_cookie(jar) == "k=a,b"


async def test_dummy_cookie_jar_keeps_nothing(named: str) -> None:
    jar = aiohttp.DummyCookieJar()
    session = aiohttp.ClientSession(cookie_jar=jar)
    async with session.get(named + "/cookies/set?k=v") as resp:
        assert (await resp.json())["cookies"] == {}
    assert len(session.cookie_jar) == 0
    await session.close()


# -- Uploading pre-compressed data ---------------------------------------------------------


async def test_uploading_pre_compressed_data(httpbin: str) -> None:
    seen: list[Any] = []

    async def my_coroutine(session: ClientSession, headers: Any, my_data: bytes) -> None:
        data = zlib.compress(my_data)
        headers = {'Content-Encoding': 'deflate'}
        async with session.post(httpbin + '/post',
                                data=data,
                                headers=headers) as resp:
            seen.append(await resp.json())

    my_data = b"already compressed? " * 100
    async with ClientSession() as session:
        await my_coroutine(session, None, my_data)
    echoed = seen[0]
    assert echoed["headers"]["Content-Encoding"] == "deflate"
    sent = base64.b64decode(echoed["data"].split("base64,", 1)[1])
    assert zlib.decompress(sent) == my_data  # sent as given, not compressed again


async def test_gzip_response_is_decoded(httpbin: str) -> None:
    async with ClientSession() as session:
        async with session.get(httpbin + "/gzip") as resp:
            assert resp.headers["Content-Encoding"] == "gzip"
            assert (await resp.json())["gzipped"] is True


# -- Disabling content type validation for JSON responses --------------------------------------


async def test_json_content_type_validation(httpbin: str) -> None:
    # httpbin's /base64 sends a JSON body labelled text/html, like the servers described.
    url = httpbin + "/base64/" + base64.urlsafe_b64encode(b'{"a": 1}').decode()
    async with ClientSession() as session:
        async with session.get(url) as resp:
            assert resp.content_type == "text/html"
            with pytest.raises(aiohttp.ContentTypeError):
                await resp.json()
            assert await resp.json(content_type='text/html') == {"a": 1}
            assert await resp.json(content_type=None) == {"a": 1}
            with pytest.raises(aiohttp.ContentTypeError):
                await resp.json(content_type='custom/type')


# -- Client Tracing ------------------------------------------------------------------------------


async def test_tracing_start_and_end(httpbin: str) -> None:
    printed: list[str] = []

    async def on_request_start(
            session: Any, trace_config_ctx: Any, params: Any) -> None:
        printed.append("Starting request")

    async def on_request_end(session: Any, trace_config_ctx: Any, params: Any) -> None:
        printed.append("Ending request")

    trace_config = aiohttp.TraceConfig()
    trace_config.on_request_start.append(on_request_start)
    trace_config.on_request_end.append(on_request_end)
    async with aiohttp.ClientSession(
            trace_configs=[trace_config]) as client:
        async with client.get(httpbin + '/redirect/1') as resp:
            assert resp.status == 200
    assert printed == ["Starting request", "Ending request"]


async def test_two_trace_configs_each_run_their_signals(httpbin: str) -> None:
    calls: list[tuple[str, str]] = []

    def audit_class(name: str) -> type[aiohttp.TraceConfig]:
        class Config(aiohttp.TraceConfig):
            def __init__(self) -> None:
                super().__init__()
                self.on_request_start.append(self._start)

            async def _start(self, session: Any, ctx: Any, params: Any) -> None:
                calls.append((name, str(params.url)))

        return Config

    AuditRequest, XRay = audit_class("audit"), audit_class("xray")  # noqa: N806
    async with aiohttp.ClientSession(
            trace_configs=[AuditRequest(), XRay()]) as client:
        async with client.get(httpbin + '/redirect/1'):
            pass
    url = httpbin + "/redirect/1"
    assert calls == [("audit", url), ("xray", url)]


async def test_trace_config_ctx_shares_state_within_a_request(httpbin: str) -> None:
    printed: list[str] = []

    async def on_request_start(
            session: Any, trace_config_ctx: Any, params: Any) -> None:
        trace_config_ctx.start = asyncio.get_event_loop().time()

    async def on_request_end(session: Any, trace_config_ctx: Any, params: Any) -> None:
        elapsed = asyncio.get_event_loop().time() - trace_config_ctx.start
        printed.append("Request took {}".format(elapsed))

    trace_config = aiohttp.TraceConfig()
    trace_config.on_request_start.append(on_request_start)
    trace_config.on_request_end.append(on_request_end)
    async with aiohttp.ClientSession(trace_configs=[trace_config]) as session:
        async with session.get(httpbin + "/get"):
            pass
    assert len(printed) == 1 and printed[0].startswith("Request took ")
    assert float(printed[0].split()[-1]) >= 0


async def test_trace_request_ctx_reaches_the_factory(httpbin: str) -> None:
    printed: list[Any] = []

    async def on_request_start(
            session: Any, trace_config_ctx: Any, params: Any) -> None:
        printed.append(trace_config_ctx.trace_request_ctx)

    trace_config = aiohttp.TraceConfig()
    trace_config.on_request_start.append(on_request_start)
    assert aiohttp.TraceConfig().trace_config_ctx() == SimpleNamespace(trace_request_ctx=None)
    async with aiohttp.ClientSession(trace_configs=[trace_config]) as session:
        async with session.get(httpbin + '/redirect/1',
                               trace_request_ctx={'foo': 'bar'}):
            pass
    assert printed == [{'foo': 'bar'}]


# -- Connectors -----------------------------------------------------------------------------------


async def test_custom_connector_and_connector_owner(httpbin: str) -> None:
    conn = aiohttp.TCPConnector()
    session = aiohttp.ClientSession(connector=conn)
    assert session.connector is conn
    await session.close()
    assert conn.closed  # the session owned it

    shared = aiohttp.TCPConnector()
    for _ in range(2):
        async with aiohttp.ClientSession(connector=shared, connector_owner=False) as s:
            async with s.get(httpbin + "/get") as resp:
                assert resp.status == 200
        assert not shared.closed
    await shared.close()


async def test_limiting_the_connection_pool(httpbin: str) -> None:
    conn = aiohttp.TCPConnector(limit=30)
    assert conn.limit == 30
    await conn.close()
    conn = aiohttp.TCPConnector(limit=0)
    assert conn.limit == 0
    await conn.close()
    conn = aiohttp.TCPConnector()
    assert conn.limit == 100 and conn.limit_per_host == 0
    await conn.close()
    conn = aiohttp.TCPConnector(limit_per_host=30)
    assert conn.limit_per_host == 30
    async with ClientSession(connector=conn) as session:
        async with session.get(httpbin + "/get") as resp:
            assert resp.status == 200


@pytest.mark.parametrize("kwargs", [{"ttl_dns_cache": 300}, {"use_dns_cache": False}])
async def test_tuning_the_dns_cache(named: str, kwargs: dict[str, Any]) -> None:
    conn = aiohttp.TCPConnector(**kwargs)
    async with ClientSession(connector=conn) as session:
        for _ in range(2):
            async with session.get(named + "/get") as resp:
                assert resp.status == 200


async def test_resolving_using_custom_nameservers(httpbin: str) -> None:
    from ketch.resolver import AsyncResolver

    resolver = AsyncResolver(nameservers=["8.8.8.8", "8.8.4.4"])
    conn = aiohttp.TCPConnector(resolver=resolver)
    async with ClientSession(connector=conn) as session:
        # An IP-address URL needs no lookup (there is no network here to reach 8.8.8.8).
        async with session.get(httpbin + "/get") as resp:
            assert resp.status == 200


async def test_unix_domain_sockets() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "httpbin.sock")
        with serve_httpbin(unix_path=path):
            conn = aiohttp.UnixConnector(path=path)
            session = aiohttp.ClientSession(connector=conn)
            async with session.get("http://localhost/get") as resp:
                assert resp.status == 200
                assert (await resp.json())["url"] == "http://localhost/get"
            await session.close()


async def test_custom_socket_creation(httpbin: str) -> None:
    made: list[socket.socket] = []

    # The reference unpacks six names; an addrinfo tuple has five (in aiohttp too).
    def socket_factory(addr_info: Any) -> socket.socket:
        family, type_, proto, _, _ = addr_info
        sock = socket.socket(family=family, type=type_, proto=proto)
        sock.setsockopt(socket.SOL_SOCKET,  socket.SO_KEEPALIVE,  True)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE,  7200)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT,      9)
        made.append(sock)
        return sock
    conn = aiohttp.TCPConnector(socket_factory=socket_factory)
    async with ClientSession(connector=conn) as session:
        async with session.get(httpbin + "/get") as resp:
            assert resp.status == 200
            assert resp.connection is None or resp.connection.transport is not None
    assert len(made) == 1
    assert made[0].fileno() == -1  # closed with the session


@pytest.mark.windows
@pytest.mark.skipif(os.name != "nt", reason="named pipes need Windows' Proactor loop")
async def test_named_pipes_in_windows() -> None:  # pragma: no cover - Windows only
    conn = aiohttp.NamedPipeConnector(path=r'\\.\pipe\<name-of-pipe>')
    session = aiohttp.ClientSession(connector=conn)
    assert session.connector is conn and conn.path == r'\\.\pipe\<name-of-pipe>'
    await session.close()
    assert session.closed and conn.closed  # the session owned the connector


# -- SSL control for TCP sockets ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_httpbin(ca: trustme.CA) -> Iterator[str]:
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_ctx)
    with serve_httpbin(ssl_context=server_ctx) as url:
        yield url


@pytest.fixture(scope="module")
def tls_httpbin_bad_host(ca: trustme.CA) -> Iterator[str]:
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("wrong.host.example").configure_cert(server_ctx)
    with serve_httpbin(ssl_context=server_ctx) as url:
        yield url


async def test_ssl_false_skips_verification(tls_httpbin: str) -> None:
    async with ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await session.get(tls_httpbin + "/get")  # the test CA is unknown
        r = await session.get(tls_httpbin + "/get", ssl=False)
        assert r.status == 200
        r.release()


async def test_custom_ssl_context_per_request_and_per_session(
    ca: trustme.CA, tls_httpbin: str
) -> None:
    ssl_context = ssl.create_default_context()
    ca.configure_trust(ssl_context)
    async with ClientSession() as session:
        async with session.get(tls_httpbin + "/get", ssl=ssl_context) as resp:
            assert resp.status == 200
    async with ClientSession(connector=aiohttp.TCPConnector(ssl=ssl_context)) as session:
        async with session.get(tls_httpbin + "/get") as resp:
            assert resp.status == 200


async def test_explicit_ssl_errors(tls_httpbin: str, tls_httpbin_bad_host: str) -> None:
    async with ClientSession() as session:
        # Verification failures (an unknown issuer here, as for an expired certificate):
        try:
            await session.get(tls_httpbin + "/get")
        except aiohttp.ClientConnectorCertificateError as e:
            assert isinstance(e, ssl.CertificateError)
        try:
            await session.get(tls_httpbin_bad_host + "/get")
        except aiohttp.ClientConnectorCertificateError as e:
            assert isinstance(e, ssl.CertificateError)
        for url in (tls_httpbin, tls_httpbin_bad_host):
            try:
                await session.get(url + "/get")
            except aiohttp.ClientSSLError as e:
                assert isinstance(e, ssl.SSLError)


async def test_explicit_ssl_error_for_a_failed_handshake() -> None:
    # Not a certificate problem: the server does not speak TLS at all.
    async def not_tls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        writer.close()

    server = await asyncio.start_server(not_tls, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with ClientSession() as session:
        try:
            await session.get(f"https://127.0.0.1:{port}/")
        except aiohttp.ClientConnectorSSLError as e:
            assert isinstance(e, ssl.SSLError)
        else:  # pragma: no cover - the assertion's message
            raise AssertionError("no ClientConnectorSSLError")
    server.close()
    await server.wait_closed()


async def test_use_certifi_style_cafile(ca: trustme.CA, tls_httpbin: str) -> None:
    with ca.cert_pem.tempfile() as cafile:  # stands in for certifi.where()
        ssl_context = ssl.create_default_context(cafile=cafile)
    async with ClientSession(connector=aiohttp.TCPConnector(ssl=ssl_context)) as sess:
        async with sess.get(tls_httpbin + "/get") as resp:
            assert resp.status == 200


async def test_client_certificate(ca: trustme.CA) -> None:
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    ca.configure_trust(server_ctx)
    client_cert = ca.issue_cert("device@example.com")
    with serve_httpbin(ssl_context=server_ctx) as url, \
            client_cert.cert_chain_pems[0].tempfile() as public, \
            client_cert.private_key_pem.tempfile() as private:
        ssl_context = ssl.create_default_context()
        ca.configure_trust(ssl_context)
        ssl_context.load_cert_chain(public, private)
        async with ClientSession() as sess:
            async with sess.get(url + "/get", ssl=ssl_context) as resp:
                assert resp.status == 200


async def test_verify_certificate_fingerprint(ca: trustme.CA, tls_httpbin: str) -> None:
    # The reference writes b'0'*64 (the length of a hex digest); a SHA-256 digest is
    # 32 bytes, and aiohttp's Fingerprint refuses other lengths too.
    bad_fp = b'0' * 32
    exc = None
    async with ClientSession() as session:
        try:
            r = await session.get(tls_httpbin + "/get",
                                  ssl=aiohttp.Fingerprint(bad_fp))
        except aiohttp.ServerFingerprintMismatch as e:
            exc = e
        assert exc is not None
        assert exc.expected == bad_fp
        r = await session.get(tls_httpbin + "/get", ssl=aiohttp.Fingerprint(exc.got))
        assert r.status == 200
        r.release()
    with pytest.raises(ValueError):
        aiohttp.Fingerprint(b'0' * 64)


# -- Graceful Shutdown --------------------------------------------------------------------------------


async def test_graceful_shutdown(httpbin: str) -> None:
    got: list[bytes] = []

    async def read_website() -> None:
        async with aiohttp.ClientSession() as session:
            async with session.get(httpbin + '/get') as resp:
                got.append(await resp.read())
        # Zero-sleep to allow underlying connections to close
        await asyncio.sleep(0)

    await read_website()
    assert got and got[0].startswith(b"{")


# -- Character Set Detection ------------------------------------------------------------------------


async def test_text_with_a_known_encoding() -> None:
    # httpbin re-encodes what it echoes as UTF-8, so a loopback server sends the
    # windows-1252 bytes (and, as servers do, claims UTF-8).
    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        return Reply(body="café".encode("cp1252"),
                     headers=[("Content-Type", "text/plain; charset=utf-8")])

    async with HTTPServer(handler) as server, ClientSession() as session:
        async with session.get(server.url) as resp:
            with pytest.raises(UnicodeDecodeError):
                await resp.text()
            assert await resp.text("windows-1252") == "café"


async def test_fallback_charset_resolver(httpbin: str) -> None:
    calls: list[tuple[str, bytes]] = []

    def detect(body: bytes, allow_utf8: bool, tld: bytes) -> str:  # chardetng_py's signature
        calls.append((tld.decode(), body))
        return "utf-8" if allow_utf8 else "windows-1252"

    def charset_resolver(resp: ClientResponse, body: bytes) -> str:
        tld = resp.url.host.rsplit(".", maxsplit=1)[-1]
        return detect(body, allow_utf8=True, tld=tld.encode())

    async with ClientSession(fallback_charset_resolver=charset_resolver) as session:
        async with session.get(httpbin + "/robots.txt") as resp:  # text/plain, no charset
            text = await resp.text()
    assert text.startswith("User-agent: *")
    assert calls == [("1", text.encode())]  # 127.0.0.1's last label


async def test_authorization_is_dropped_on_redirect_to_another_protocol(
    httpbin: str, tls_httpbin: str
) -> None:
    headers = {"Authorization": "Bearer eyJh...0M30"}
    elsewhere = tls_httpbin + "/headers"  # same host and port number, now https
    async with ClientSession(headers=headers) as session:
        async with session.get(httpbin + "/redirect-to", params={"url": elsewhere},
                               ssl=False) as resp:
            assert resp.url == URL(elsewhere)
            assert "Authorization" not in (await resp.json())["headers"]
        async with session.get(tls_httpbin + "/headers", ssl=False) as resp:
            assert (await resp.json())["headers"]["Authorization"] == "Bearer eyJh...0M30"
