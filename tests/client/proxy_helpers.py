"""Forward proxies on loopback for the client's proxy tests.

* :func:`start_proxy_py` runs proxy.py (PyPI) through ``tests.proxy_servers.ProxyPy``,
  optionally with basic auth and optionally behind TLS (an ``https://`` proxy);
* :func:`start_tinyproxy` runs tinyproxy (Debian package ``tinyproxy``) when the binary is
  installed; tests using it skip with a clear reason otherwise;
* :class:`RecordingProxy` is a small asyncio forward proxy in the test's loop that records
  every request head it receives and answers ``CONNECT`` with a chosen status (relaying
  bytes after a 200), for exact checks of what the client sent to its proxy.

tinyproxy runs in its own process group and is stopped by that group's id.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.proxy_servers import ProxyPy
from tests.servers import LoopbackServer, Request, read_request

USER, PASSWORD = "proxyuser", "proxy-pass"
TINYPROXY = shutil.which("tinyproxy")
TINYPROXY_MISSING = "tinyproxy is not installed (apt-get install -y tinyproxy)"
_START_TIMEOUT = 15.0


@dataclass
class ProxyProcess:
    """A forward proxy running in a subprocess on 127.0.0.1."""

    name: str
    scheme: str
    port: int
    stop: Callable[[], None]
    auth: tuple[str, str] | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def url_with_credentials(self) -> str:
        assert self.auth is not None
        return f"{self.scheme}://{self.auth[0]}:{self.auth[1]}@127.0.0.1:{self.port}"


def start_proxy_py(
    *, auth: bool = False, tls: tuple[Path, Path] | None = None,
    credentials: tuple[str, str] = (USER, PASSWORD),
) -> ProxyProcess:
    """Start proxy.py (``tests.proxy_servers.ProxyPy``) on an ephemeral loopback port.

    Args:
        auth: require basic proxy authentication with *credentials*.
        tls: ``(certificate chain, private key)`` files: serve the proxy over TLS.
        credentials: the ``(user, password)`` the proxy accepts when *auth* is set.
    """
    proxy = ProxyPy(
        basic_auth=":".join(credentials) if auth else None,
        tls=(str(tls[0]), str(tls[1])) if tls is not None else None,
    ).start()
    return ProxyProcess(
        "proxy.py", "https" if tls else "http", proxy.port, proxy.stop,
        credentials if auth else None,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_tinyproxy(workdir: Path, *, auth: bool = False) -> ProxyProcess:
    """Start tinyproxy in the foreground on a free loopback port (the binary must exist)."""
    assert TINYPROXY is not None, TINYPROXY_MISSING
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "tinyproxy.log"
    port = _free_port()
    lines = [
        f"Port {port}", "Listen 127.0.0.1", "Timeout 30", "MaxClients 32", "LogLevel Warning",
        f'LogFile "{log}"', f'PidFile "{workdir / "tinyproxy.pid"}"', "Allow 127.0.0.1",
    ]
    if auth:
        lines.append(f"BasicAuth {USER} {PASSWORD}")
    conf = workdir / "tinyproxy.conf"
    conf.write_text("\n".join(lines) + "\n")
    with open(workdir / "stdout.log", "wb") as out:
        proc = subprocess.Popen(
            [TINYPROXY, "-d", "-c", str(conf)], stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )

    def stop() -> None:
        # tinyproxy runs in its own process group: stop exactly that group, by its id.
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)

    deadline = time.monotonic() + _START_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise RuntimeError(
                f"tinyproxy exited with {proc.returncode}: "
                f"{(workdir / 'stdout.log').read_text()[-2000:]}"
            )
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            break
        if time.monotonic() > deadline:
            stop()
            raise RuntimeError(f"tinyproxy did not listen within {_START_TIMEOUT} s")
        time.sleep(0.05)
    return ProxyProcess("tinyproxy", "http", port, stop, (USER, PASSWORD) if auth else None)


def via_proxy(request: Request) -> str | None:
    """The ``Via`` header a forwarding proxy added (proxy.py and tinyproxy both add one)."""
    return request.header("Via")


@dataclass
class RecordingProxy(LoopbackServer):
    """An asyncio forward proxy that records request heads.

    ``CONNECT`` gets ``connect_status`` (200: the tunnel is opened to the requested
    host:port and bytes are relayed both ways). Any other request is answered by the proxy
    itself with ``plain_status`` and body ``b"from-proxy"`` (it is not forwarded).
    """

    connect_status: int = 200
    plain_status: int = 200
    requests: list[Request] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def __aexit__(self, *exc: object) -> None:
        # The relay tasks of open tunnels end before the server and its connections close.
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await super().__aexit__(*exc)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                req = await read_request(reader)
                if req is None:
                    return
                self.requests.append(req)
                if req.method != "CONNECT":
                    body = b"from-proxy"
                    writer.write(
                        f"HTTP/1.1 {self.plain_status} X\r\nContent-Length: {len(body)}\r\n\r\n"
                        .encode() + body
                    )
                    await writer.drain()
                    continue
                if self.connect_status != 200:
                    writer.write(
                        f"HTTP/1.1 {self.connect_status} Refused\r\nContent-Length: 0\r\n"
                        "Connection: close\r\n\r\n".encode()
                    )
                    await writer.drain()
                    return
                await self._tunnel(req.target, reader, writer)
                return
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _tunnel(
        self, target: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        host, _, port = target.rpartition(":")
        up_reader, up_writer = await asyncio.open_connection(host.strip("[]"), int(port))
        self._writers.add(up_writer)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        tasks = [asyncio.ensure_future(pump(reader, up_writer)),
                 asyncio.ensure_future(pump(up_reader, writer))]
        self._tasks.update(tasks)
        try:
            await asyncio.gather(*tasks)
        finally:
            self._tasks.difference_update(tasks)
            self._writers.discard(up_writer)
