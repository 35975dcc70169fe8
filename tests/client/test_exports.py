"""The public surface: every client name aiohttp documents is importable from ``ketch``
(and from the compatibility modules), reports its public home, and the session's
signature matches aiohttp's."""

from __future__ import annotations

import asyncio
import inspect

import pytest

import ketch
import ketch.abc

# aiohttp's client reference (client_reference.rst, tracing_reference.rst): what users import.
DOCUMENTED = {
    # sessions, requests, responses
    "ClientSession", "request", "ClientResponse", "ClientRequest", "RequestInfo",
    "ClientTimeout", "BasicAuth", "DigestAuthMiddleware", "ClientMiddlewareType",
    "ClientHandlerType", "HttpVersion", "HttpVersion10", "HttpVersion11", "StreamReader",
    # connectors and cookies
    "BaseConnector", "TCPConnector", "UnixConnector", "NamedPipeConnector", "Fingerprint",
    "CookieJar", "DummyCookieJar",
    # bodies
    "FormData", "MultipartWriter", "Payload", "BytesPayload", "StringPayload", "JsonPayload",
    "IOBasePayload", "BufferedReaderPayload", "BytesIOPayload", "TextIOPayload",
    "StringIOPayload", "AsyncIterablePayload", "get_payload",
    # reading multipart bodies (multipart_reference.rst) and ETag
    "MultipartReader", "BodyPartReader", "BadContentDispositionHeader",
    "BadContentDispositionParam", "content_disposition_filename", "parse_content_disposition",
    "ETag",
    # tracing
    "TraceConfig", "TraceRequestStartParams", "TraceRequestEndParams",
    "TraceRequestExceptionParams", "TraceRequestRedirectParams",
    "TraceRequestChunkSentParams", "TraceResponseChunkReceivedParams",
    "TraceRequestHeadersSentParams", "TraceConnectionQueuedStartParams",
    "TraceConnectionQueuedEndParams", "TraceConnectionCreateStartParams",
    "TraceConnectionCreateEndParams", "TraceConnectionReuseconnParams",
    "TraceDnsResolveHostStartParams", "TraceDnsResolveHostEndParams",
    "TraceDnsCacheHitParams", "TraceDnsCacheMissParams",
    # exceptions
    "ClientError", "ClientConnectionError", "ClientConnectionResetError", "ClientOSError",
    "ClientConnectorError", "ClientConnectorDNSError", "ClientProxyConnectionError",
    "UnixClientConnectorError", "ClientSSLError", "ClientConnectorSSLError",
    "ClientConnectorCertificateError", "ServerConnectionError", "ServerDisconnectedError",
    "ServerTimeoutError", "ConnectionTimeoutError", "SocketTimeoutError",
    "ServerFingerprintMismatch", "ClientResponseError", "ContentTypeError",
    "TooManyRedirects", "ClientHttpProxyError", "ClientPayloadError", "InvalidURL",
    "InvalidUrlClientError", "RedirectClientError", "NonHttpUrlClientError",
    "InvalidUrlRedirectClientError", "NonHttpUrlRedirectClientError",
}


def test_every_documented_name_is_exported() -> None:
    missing = sorted(n for n in DOCUMENTED if not hasattr(ketch, n))
    assert missing == []
    assert DOCUMENTED <= set(ketch.__all__)


def test_all_lists_only_real_names() -> None:
    assert sorted(set(ketch.__all__)) == sorted(ketch.__all__)
    for name in ketch.__all__:
        assert hasattr(ketch, name), name


def test_hdrs_compatibility_module() -> None:
    import ketch.hdrs

    assert "hdrs" in ketch.__all__ and ketch.hdrs is ketch.__dict__["hdrs"]
    assert ketch.hdrs.CONTENT_TYPE == "Content-Type" and ketch.hdrs.METH_GET == "GET"


def test_abc_compatibility_module() -> None:
    assert set(ketch.abc.__all__) == {
        "AbstractCookieJar", "AbstractResolver", "ClearCookiePredicate", "ResolveResult"}
    assert issubclass(ketch.CookieJar, ketch.abc.AbstractCookieJar)
    assert issubclass(ketch.DummyCookieJar, ketch.abc.AbstractCookieJar)
    assert inspect.isabstract(ketch.abc.AbstractResolver)


def test_exception_tree_follows_aiohttp() -> None:
    assert issubclass(ketch.TooManyRedirects, ketch.ClientResponseError)
    assert issubclass(ketch.InvalidUrlRedirectClientError, ketch.InvalidUrlClientError)
    assert issubclass(ketch.InvalidUrlRedirectClientError, ketch.RedirectClientError)
    assert issubclass(ketch.NonHttpUrlRedirectClientError, ketch.NonHttpUrlClientError)
    assert issubclass(ketch.InvalidUrlClientError, ketch.InvalidURL)
    assert issubclass(ketch.InvalidURL, ValueError)
    for cls in (ketch.ConnectionTimeoutError, ketch.SocketTimeoutError):
        assert issubclass(cls, ketch.ServerTimeoutError)
        assert issubclass(cls, asyncio.TimeoutError)


# aiohttp's documented ClientSession parameters (keyword-only after base_url).
SESSION_PARAMS = {
    "base_url", "connector", "cookies", "headers", "proxy", "proxy_auth",
    "skip_auto_headers", "auth", "json_serialize", "version", "cookie_jar",
    "connector_owner", "raise_for_status", "timeout", "auto_decompress", "trust_env",
    "requote_redirect_url", "trace_configs", "read_bufsize", "max_line_size",
    "max_field_size", "max_headers", "fallback_charset_resolver", "middlewares",
    "request_class", "response_class",
}
REQUEST_PARAMS = {
    "params", "data", "json", "cookies", "headers", "skip_auto_headers", "auth",
    "allow_redirects", "max_redirects", "compress", "chunked", "expect100",
    "raise_for_status", "read_until_eof", "proxy", "proxy_auth", "timeout", "ssl",
    "server_hostname", "proxy_headers", "trace_request_ctx", "read_bufsize",
    "auto_decompress", "max_line_size", "max_field_size", "max_headers", "middlewares",
}


def test_session_signature() -> None:
    params = inspect.signature(ketch.ClientSession).parameters
    assert SESSION_PARAMS <= set(params)
    assert next(iter(params)) == "base_url"
    assert all(p.kind is p.KEYWORD_ONLY for n, p in params.items() if n != "base_url")
    assert params["json_serialize"].default.__name__ == "dumps"
    assert params["connector_owner"].default is True
    assert params["raise_for_status"].default is False
    assert params["auto_decompress"].default is True
    assert params["read_bufsize"].default == 2**16
    assert params["max_line_size"].default == 8190
    assert params["max_field_size"].default == 8190
    assert params["requote_redirect_url"].default is True
    assert params["version"].default == ketch.HttpVersion11


def test_request_keywords() -> None:
    from ketch._session import ClientSession

    params = inspect.signature(ClientSession._request).parameters
    assert REQUEST_PARAMS <= set(params)
    assert params["allow_redirects"].default is True
    assert params["max_redirects"].default == 10
    assert params["expect100"].default is False
    assert params["read_until_eof"].default is True
    assert params["ssl"].default is True


@pytest.mark.parametrize("name", [
    "ClientSession", "ClientTimeout", "ClientRequest", "TooManyRedirects",
    "InvalidUrlClientError", "RedirectClientError", "NonHttpUrlClientError",
    "InvalidUrlRedirectClientError", "NonHttpUrlRedirectClientError",
    "MultipartReader", "BodyPartReader", "ETag", "BadContentDispositionHeader",
])
def test_public_home(name: str) -> None:
    obj = getattr(ketch, name)
    assert obj.__module__ == "ketch", f"{name} reports {obj.__module__}"
