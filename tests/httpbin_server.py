"""A local httpbin (the ``httpbin`` Flask app) served by werkzeug on 127.0.0.1.

The server runs in a thread (one more thread per connection, HTTP/1.1 keep-alive), so it
works with any event loop the tests use. Imports no ketch package.
"""

from __future__ import annotations

import ssl
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    """Serves requests without logging each one to stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@contextmanager
def serve_httpbin(
    *, ssl_context: ssl.SSLContext | None = None, unix_path: str | None = None
) -> Iterator[str]:
    """Run httpbin until the block ends; yields its base URL.

    Args:
        ssl_context: serve HTTPS with this server context (``https://127.0.0.1:PORT``).
        unix_path: serve on this Unix socket instead of TCP (yields ``unix://PATH``).
    """
    with warnings.catch_warnings():
        # httpbin and flasgger import modules that warn about their own deprecations.
        warnings.simplefilter("ignore")
        from httpbin import app
    host = f"unix://{unix_path}" if unix_path else "127.0.0.1"
    server: BaseWSGIServer = make_server(
        host, 0, app, threaded=True, request_handler=_QuietHandler, ssl_context=ssl_context
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="httpbin", daemon=True)
    thread.start()
    try:
        if unix_path:
            yield f"unix://{unix_path}"
        else:
            scheme = "https" if ssl_context is not None else "http"
            yield f"{scheme}://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
