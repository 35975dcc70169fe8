"""Real forward proxies on loopback for the test suite (imports no ketch package).

``ProxyPy`` runs proxy.py (from PyPI) as a subprocess on 127.0.0.1 with a free port:
plain (``http://``), with Basic proxy authentication (``basic_auth="user:pass"``), or
reached over TLS (``tls=(cert_file, key_file)``, an ``https://`` proxy). It counts nothing
itself; tests observe what passes through on their own origin servers.

Shared by the connector tests (tunnels, TLS in TLS) and the client's proxy tests: use the
``ProxyPy`` context manager directly, or the fixtures in ``tests/connector/conftest.py`` as
a model. Starting one takes about a second, so tests share one per module.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from types import TracebackType

__all__ = ["ProxyPy"]


class ProxyPy:
    """A proxy.py forward proxy subprocess on 127.0.0.1.

    Args:
        basic_auth: ``"user:pass"`` to require ``Proxy-Authorization: Basic ...``.
        tls: ``(cert_file, key_file)`` to accept clients over TLS (an HTTPS proxy).
        startup_timeout: seconds to wait for the proxy to listen.

    Attributes:
        host, port: where it listens (after ``start``).
        url: ``http://127.0.0.1:PORT`` (``https://`` with *tls*).
    """

    def __init__(
        self,
        *,
        basic_auth: str | None = None,
        tls: tuple[str, str] | None = None,
        startup_timeout: float = 20.0,
    ) -> None:
        self.basic_auth = basic_auth
        self.tls = tls
        self.startup_timeout = startup_timeout
        self.host = "127.0.0.1"
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def start(self) -> ProxyPy:
        self._dir = tempfile.TemporaryDirectory(prefix="ketch-proxy-")
        port_file = os.path.join(self._dir.name, "port")
        args = [
            sys.executable, "-m", "proxy", "--hostname", self.host, "--port", "0",
            "--port-file", port_file, "--num-acceptors", "1", "--num-workers", "1",
            "--log-level", "ERROR", "--timeout", "10",
        ]
        if self.basic_auth:
            args += ["--basic-auth", self.basic_auth]
        if self.tls:
            args += ["--cert-file", self.tls[0], "--key-file", self.tls[1]]
        self._proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            cwd=self._dir.name,
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
                self.stop()
                raise RuntimeError(f"proxy.py exited with {self._proc.returncode}: {err[-2000:]}")
            if os.path.exists(port_file):
                with open(port_file) as f:
                    text = f.read().strip()
                if text and self._listening(int(text)):
                    self.port = int(text)
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"proxy.py did not listen within {self.startup_timeout} s")

    def _listening(self, port: int) -> bool:
        try:
            with socket.create_connection((self.host, port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        proc = self._proc
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
            if proc.stderr is not None:
                proc.stderr.close()
            self._proc = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def __enter__(self) -> ProxyPy:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
