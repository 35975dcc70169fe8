"""A local httpbin (the ``httpbin`` Flask app) served by werkzeug on 127.0.0.1.

The server runs in a thread (one more thread per connection, HTTP/1.1 keep-alive), so it
works with any event loop the tests use. Imports no ketch package.
"""

from __future__ import annotations

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
def serve_httpbin() -> Iterator[str]:
    """Run httpbin until the block ends; yields its base URL (``http://127.0.0.1:PORT``)."""
    with warnings.catch_warnings():
        # httpbin and flasgger import modules that warn about their own deprecations.
        warnings.simplefilter("ignore")
        from httpbin import app
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="httpbin", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
