"""HTTP method and header-field name constants, as aiohttp's ``hdrs`` module offers them.

Header names are :class:`multidict.istr` as in aiohttp (the key type of case-insensitive
multidicts); a request writes them with the spelling given here. Spellings follow the
defining specification (the IANA HTTP Field Name Registry where the field is registered).
"""

# Imports carry underscore names: ``ketch.hdrs`` star-imports this module, and only the
# constants may come along.
from itertools import product as _product
from typing import Final as _Final

from multidict import istr as _istr

# Methods (RFC 9110 section 9.3; PATCH: RFC 5789).
METH_ANY: _Final[str] = "*"
METH_CONNECT: _Final[str] = "CONNECT"
METH_DELETE: _Final[str] = "DELETE"
METH_GET: _Final[str] = "GET"
METH_HEAD: _Final[str] = "HEAD"
METH_OPTIONS: _Final[str] = "OPTIONS"
METH_PATCH: _Final[str] = "PATCH"
METH_POST: _Final[str] = "POST"
METH_PUT: _Final[str] = "PUT"
METH_TRACE: _Final[str] = "TRACE"
METH_ALL: _Final[frozenset[str]] = frozenset({
    METH_CONNECT, METH_DELETE, METH_GET, METH_HEAD, METH_OPTIONS, METH_PATCH, METH_POST,
    METH_PUT, METH_TRACE,
})

# HTTP Semantics, RFC 9110 (section numbers in the comments).
ACCEPT: _Final[_istr] = _istr("Accept")  # 12.5.1
ACCEPT_CHARSET: _Final[_istr] = _istr("Accept-Charset")  # 12.5.2
ACCEPT_ENCODING: _Final[_istr] = _istr("Accept-Encoding")  # 12.5.3
ACCEPT_LANGUAGE: _Final[_istr] = _istr("Accept-Language")  # 12.5.4
ACCEPT_RANGES: _Final[_istr] = _istr("Accept-Ranges")  # 14.3
ALLOW: _Final[_istr] = _istr("Allow")  # 10.2.1
AUTHENTICATION_INFO: _Final[_istr] = _istr("Authentication-Info")  # 11.6.3
AUTHORIZATION: _Final[_istr] = _istr("Authorization")  # 11.6.2
CONNECTION: _Final[_istr] = _istr("Connection")  # 7.6.1
CONTENT_ENCODING: _Final[_istr] = _istr("Content-Encoding")  # 8.4
CONTENT_LANGUAGE: _Final[_istr] = _istr("Content-Language")  # 8.5
CONTENT_LENGTH: _Final[_istr] = _istr("Content-Length")  # 8.6
CONTENT_LOCATION: _Final[_istr] = _istr("Content-Location")  # 8.7
CONTENT_RANGE: _Final[_istr] = _istr("Content-Range")  # 14.4
CONTENT_TYPE: _Final[_istr] = _istr("Content-Type")  # 8.3
DATE: _Final[_istr] = _istr("Date")  # 6.6.1
ETAG: _Final[_istr] = _istr("ETag")  # 8.8.3
EXPECT: _Final[_istr] = _istr("Expect")  # 10.1.1
FROM: _Final[_istr] = _istr("From")  # 10.1.2
HOST: _Final[_istr] = _istr("Host")  # 7.2
IF_MATCH: _Final[_istr] = _istr("If-Match")  # 13.1.1
IF_MODIFIED_SINCE: _Final[_istr] = _istr("If-Modified-Since")  # 13.1.3
IF_NONE_MATCH: _Final[_istr] = _istr("If-None-Match")  # 13.1.2
IF_RANGE: _Final[_istr] = _istr("If-Range")  # 13.1.5
IF_UNMODIFIED_SINCE: _Final[_istr] = _istr("If-Unmodified-Since")  # 13.1.4
LAST_MODIFIED: _Final[_istr] = _istr("Last-Modified")  # 8.8.2
LOCATION: _Final[_istr] = _istr("Location")  # 10.2.2
MAX_FORWARDS: _Final[_istr] = _istr("Max-Forwards")  # 7.6.2
PROXY_AUTHENTICATE: _Final[_istr] = _istr("Proxy-Authenticate")  # 11.7.1
PROXY_AUTHENTICATION_INFO: _Final[_istr] = _istr("Proxy-Authentication-Info")  # 11.7.3
PROXY_AUTHORIZATION: _Final[_istr] = _istr("Proxy-Authorization")  # 11.7.2
RANGE: _Final[_istr] = _istr("Range")  # 14.2
REFERER: _Final[_istr] = _istr("Referer")  # 10.1.3
RETRY_AFTER: _Final[_istr] = _istr("Retry-After")  # 10.2.3
SERVER: _Final[_istr] = _istr("Server")  # 10.2.4
TE: _Final[_istr] = _istr("TE")  # 10.1.4
TRAILER: _Final[_istr] = _istr("Trailer")  # 6.6.2
UPGRADE: _Final[_istr] = _istr("Upgrade")  # 7.8
USER_AGENT: _Final[_istr] = _istr("User-Agent")  # 10.1.5
VARY: _Final[_istr] = _istr("Vary")  # 12.5.5
VIA: _Final[_istr] = _istr("Via")  # 7.6.3
WWW_AUTHENTICATE: _Final[_istr] = _istr("WWW-Authenticate")  # 11.6.1

# HTTP/1.1 framing, RFC 9112 section 6.1; Keep-Alive: RFC 2068 section 19.7.1.1 (obsolete).
TRANSFER_ENCODING: _Final[_istr] = _istr("Transfer-Encoding")
KEEP_ALIVE: _Final[_istr] = _istr("Keep-Alive")

# Caching, RFC 9111 (Pragma and Warning are deprecated there); RFC 9211, 9213.
AGE: _Final[_istr] = _istr("Age")
CACHE_CONTROL: _Final[_istr] = _istr("Cache-Control")
CACHE_STATUS: _Final[_istr] = _istr("Cache-Status")
CDN_CACHE_CONTROL: _Final[_istr] = _istr("CDN-Cache-Control")
EXPIRES: _Final[_istr] = _istr("Expires")
PRAGMA: _Final[_istr] = _istr("Pragma")
WARNING: _Final[_istr] = _istr("Warning")

# Cookies (RFC 6265), Content-Disposition (RFC 6266), Forwarded (RFC 7239), Link (RFC 8288),
# Origin (RFC 6454).
COOKIE: _Final[_istr] = _istr("Cookie")
SET_COOKIE: _Final[_istr] = _istr("Set-Cookie")
CONTENT_DISPOSITION: _Final[_istr] = _istr("Content-Disposition")
FORWARDED: _Final[_istr] = _istr("Forwarded")
LINK: _Final[_istr] = _istr("Link")
ORIGIN: _Final[_istr] = _istr("Origin")

# Digests: RFC 9530 (current), RFC 3230 (obsoleted by it), Content-MD5 (RFC 1864).
CONTENT_DIGEST: _Final[_istr] = _istr("Content-Digest")
REPR_DIGEST: _Final[_istr] = _istr("Repr-Digest")
WANT_CONTENT_DIGEST: _Final[_istr] = _istr("Want-Content-Digest")
WANT_REPR_DIGEST: _Final[_istr] = _istr("Want-Repr-Digest")
DIGEST: _Final[_istr] = _istr("Digest")
WANT_DIGEST: _Final[_istr] = _istr("Want-Digest")
CONTENT_MD5: _Final[_istr] = _istr("Content-MD5")

# MIME part fields (RFC 2045 section 6, RFC 2392), WebDAV (RFC 4918 section 10.3), and URI
# (RFC 2068 section 19.6.2.5, obsolete).
CONTENT_TRANSFER_ENCODING: _Final[_istr] = _istr("Content-Transfer-Encoding")
CONTENT_ID: _Final[_istr] = _istr("Content-ID")
DESTINATION: _Final[_istr] = _istr("Destination")
URI: _Final[_istr] = _istr("URI")

# Connection management: Alt-Svc/Alt-Used (RFC 7838), Early-Data (RFC 8470), CDN-Loop
# (RFC 8586), Priority (RFC 9218), Strict-Transport-Security (RFC 6797), Accept-CH (RFC 8942).
ALT_SVC: _Final[_istr] = _istr("Alt-Svc")
ALT_USED: _Final[_istr] = _istr("Alt-Used")
EARLY_DATA: _Final[_istr] = _istr("Early-Data")
CDN_LOOP: _Final[_istr] = _istr("CDN-Loop")
PRIORITY: _Final[_istr] = _istr("Priority")
STRICT_TRANSPORT_SECURITY: _Final[_istr] = _istr("Strict-Transport-Security")
ACCEPT_CH: _Final[_istr] = _istr("Accept-CH")

# WebSocket handshake, RFC 6455 section 11.3; Key1 is from the pre-RFC draft-hixie-76.
SEC_WEBSOCKET_ACCEPT: _Final[_istr] = _istr("Sec-WebSocket-Accept")
SEC_WEBSOCKET_EXTENSIONS: _Final[_istr] = _istr("Sec-WebSocket-Extensions")
SEC_WEBSOCKET_KEY: _Final[_istr] = _istr("Sec-WebSocket-Key")
SEC_WEBSOCKET_KEY1: _Final[_istr] = _istr("Sec-WebSocket-Key1")
SEC_WEBSOCKET_PROTOCOL: _Final[_istr] = _istr("Sec-WebSocket-Protocol")
SEC_WEBSOCKET_VERSION: _Final[_istr] = _istr("Sec-WebSocket-Version")

# CORS and fetch metadata (WHATWG Fetch), cross-origin isolation (WHATWG HTML).
ACCESS_CONTROL_ALLOW_CREDENTIALS: _Final[_istr] = _istr("Access-Control-Allow-Credentials")
ACCESS_CONTROL_ALLOW_HEADERS: _Final[_istr] = _istr("Access-Control-Allow-Headers")
ACCESS_CONTROL_ALLOW_METHODS: _Final[_istr] = _istr("Access-Control-Allow-Methods")
ACCESS_CONTROL_ALLOW_ORIGIN: _Final[_istr] = _istr("Access-Control-Allow-Origin")
ACCESS_CONTROL_EXPOSE_HEADERS: _Final[_istr] = _istr("Access-Control-Expose-Headers")
ACCESS_CONTROL_MAX_AGE: _Final[_istr] = _istr("Access-Control-Max-Age")
ACCESS_CONTROL_REQUEST_HEADERS: _Final[_istr] = _istr("Access-Control-Request-Headers")
ACCESS_CONTROL_REQUEST_METHOD: _Final[_istr] = _istr("Access-Control-Request-Method")
SEC_FETCH_DEST: _Final[_istr] = _istr("Sec-Fetch-Dest")
SEC_FETCH_MODE: _Final[_istr] = _istr("Sec-Fetch-Mode")
SEC_FETCH_SITE: _Final[_istr] = _istr("Sec-Fetch-Site")
SEC_FETCH_USER: _Final[_istr] = _istr("Sec-Fetch-User")
SEC_PURPOSE: _Final[_istr] = _istr("Sec-Purpose")
X_CONTENT_TYPE_OPTIONS: _Final[_istr] = _istr("X-Content-Type-Options")
CROSS_ORIGIN_EMBEDDER_POLICY: _Final[_istr] = _istr("Cross-Origin-Embedder-Policy")
CROSS_ORIGIN_OPENER_POLICY: _Final[_istr] = _istr("Cross-Origin-Opener-Policy")
CROSS_ORIGIN_RESOURCE_POLICY: _Final[_istr] = _istr("Cross-Origin-Resource-Policy")
ORIGIN_AGENT_CLUSTER: _Final[_istr] = _istr("Origin-Agent-Cluster")

# Browser policies and reporting (W3C: CSP 3, Permissions Policy, Referrer Policy, Clear Site
# Data, Resource/Server Timing, Network Error Logging, Reporting; X-Frame-Options: RFC 7034;
# Upgrade-Insecure-Requests; Global Privacy Control; User-Agent Client Hints).
CONTENT_SECURITY_POLICY: _Final[_istr] = _istr("Content-Security-Policy")
CONTENT_SECURITY_POLICY_REPORT_ONLY: _Final[_istr] = _istr("Content-Security-Policy-Report-Only")
PERMISSIONS_POLICY: _Final[_istr] = _istr("Permissions-Policy")
REFERRER_POLICY: _Final[_istr] = _istr("Referrer-Policy")
CLEAR_SITE_DATA: _Final[_istr] = _istr("Clear-Site-Data")
TIMING_ALLOW_ORIGIN: _Final[_istr] = _istr("Timing-Allow-Origin")
SERVER_TIMING: _Final[_istr] = _istr("Server-Timing")
NEL: _Final[_istr] = _istr("NEL")
REPORT_TO: _Final[_istr] = _istr("Report-To")
REPORTING_ENDPOINTS: _Final[_istr] = _istr("Reporting-Endpoints")
X_FRAME_OPTIONS: _Final[_istr] = _istr("X-Frame-Options")
X_XSS_PROTECTION: _Final[_istr] = _istr("X-XSS-Protection")
UPGRADE_INSECURE_REQUESTS: _Final[_istr] = _istr("Upgrade-Insecure-Requests")
SEC_GPC: _Final[_istr] = _istr("Sec-GPC")
SEC_CH_UA: _Final[_istr] = _istr("Sec-CH-UA")
SEC_CH_UA_MOBILE: _Final[_istr] = _istr("Sec-CH-UA-Mobile")
SEC_CH_UA_PLATFORM: _Final[_istr] = _istr("Sec-CH-UA-Platform")

# Server-sent events (WHATWG HTML), distributed tracing (W3C Trace Context, W3C Baggage).
LAST_EVENT_ID: _Final[_istr] = _istr("Last-Event-ID")
TRACEPARENT: _Final[_istr] = _istr("traceparent")
TRACESTATE: _Final[_istr] = _istr("tracestate")
BAGGAGE: _Final[_istr] = _istr("baggage")

# Widespread unregistered conventions.
X_CORRELATION_ID: _Final[_istr] = _istr("X-Correlation-ID")
X_FORWARDED_FOR: _Final[_istr] = _istr("X-Forwarded-For")
X_FORWARDED_HOST: _Final[_istr] = _istr("X-Forwarded-Host")
X_FORWARDED_PORT: _Final[_istr] = _istr("X-Forwarded-Port")
X_FORWARDED_PROTO: _Final[_istr] = _istr("X-Forwarded-Proto")
X_POWERED_BY: _Final[_istr] = _istr("X-Powered-By")
X_RATELIMIT_LIMIT: _Final[_istr] = _istr("X-RateLimit-Limit")
X_RATELIMIT_REMAINING: _Final[_istr] = _istr("X-RateLimit-Remaining")
X_RATELIMIT_RESET: _Final[_istr] = _istr("X-RateLimit-Reset")
X_REAL_IP: _Final[_istr] = _istr("X-Real-IP")
X_REQUEST_ID: _Final[_istr] = _istr("X-Request-ID")
X_REQUESTED_WITH: _Final[_istr] = _istr("X-Requested-With")

# Every letter-case spelling of "host", for code that scans raw header names without folding.
HOST_ALL: _Final[frozenset[str]] = frozenset(
    "".join(letters) for letters in _product(*((c.lower(), c.upper()) for c in "host"))
)
