"""Start and stop a private nginx on loopback for the benchmarks.

``NginxServer`` finds nginx (or installs Debian's ``nginx-light`` with apt-get when it is
missing and we are root), writes a config into a temporary directory, pins the server to
one core, and serves:

    /small    a ~170-byte text body (Content-Length)
    /json     a ~2 KiB JSON document
    /big      a 100 MiB file (sendfile)
    /upload   accepts a POST body up to 2 MiB and answers "ok"

Usable as a context manager; the server is stopped and its directory removed on exit.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

CONFIG = """
daemon off;
master_process on;  # off crashes nginx 1.22 when it inherits its listening socket
user root;
worker_processes 1;
worker_rlimit_nofile 30000;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 20000; multi_accept on; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 120s;
    keepalive_requests 10000000;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    types {{ application/json json; text/plain txt; application/octet-stream bin; }}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        root {dir}/www;
        location = /small {{ default_type text/plain; try_files /small.txt =404; }}
        location = /json {{ default_type application/json; try_files /data.json =404; }}
        location = /big {{ default_type application/octet-stream; try_files /big.bin =404; }}
        location = /upload {{
            client_max_body_size 2m;
            client_body_buffer_size 2m;
            default_type text/plain;
            return 200 "ok";
        }}
    }}
}}
"""

BIG_SIZE = 100 * 1024 * 1024


def find_nginx() -> str:
    """Path of the nginx binary, installing Debian's package when absent and allowed."""
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.path.exists(candidate):
            return candidate
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env,
                       stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-qq", "nginx-light"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        if os.path.exists("/usr/sbin/nginx"):
            return "/usr/sbin/nginx"
    raise SystemExit("nginx not found; install it (apt-get install nginx-light)")


# The server's congestion control. Linux distributions increasingly default to BBR, which
# paces its sending with a timer when the device has no fq qdisc, as loopback never has:
# nginx then sends /big in bursts with idle gaps, at a rate that moves 3x from one
# download to the next (2.3-9 GiB/s here), and the download measures the pacing, not the
# clients. Cubic sends as fast as the client reads, the premise of the download scenario.
CONGESTION = b"cubic"


def _listening_socket() -> tuple[socket.socket, str]:
    """A listening socket on 127.0.0.1 for nginx to inherit, and its congestion control
    (accepted connections inherit it; the default one when setting it is refused)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, CONGESTION)
    except (AttributeError, OSError):
        pass  # not Linux, or not allowed: the system's default
    try:
        name = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16)
        congestion = name.rstrip(b"\0").decode()
    except (AttributeError, OSError):
        congestion = "unknown"
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)
    sock.setblocking(False)  # nginx leaves inherited sockets as they are; it accepts until EAGAIN
    sock.set_inheritable(True)
    return sock, congestion


class NginxServer:
    """A private nginx on 127.0.0.1, pinned to *cpu* when given."""

    def __init__(self, cpu: int | None = None) -> None:
        self.cpu = cpu
        self.port = 0  # and the rest, once entered
        self.congestion = "unknown"
        self._sock: socket.socket | None = None
        self._dir = Path(tempfile.gettempdir())
        self._made_dir = False
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _write_site(self) -> None:
        www = self._dir / "www"
        www.mkdir()
        (www / "small.txt").write_bytes(b"x" * 170)
        doc = {"items": [{"id": i, "name": f"item-{i}", "tags": ["a", "b"], "ok": True}
                         for i in range(40)]}
        (www / "data.json").write_text(json.dumps(doc))
        block = os.urandom(1 << 20)
        with open(www / "big.bin", "wb") as f:
            for _ in range(BIG_SIZE // len(block)):
                f.write(block)
        os.chmod(self._dir, 0o755)

    def __enter__(self) -> NginxServer:
        try:
            self._start()
        except BaseException:
            self.__exit__()  # nothing left behind: not nginx, its directory or the socket
            raise
        return self

    def _start(self) -> None:
        binary = find_nginx()
        self._sock, self.congestion = _listening_socket()
        self.port = int(self._sock.getsockname()[1])
        self._dir = Path(tempfile.mkdtemp(prefix="ketch-bench-nginx-"))
        self._made_dir = True
        self._write_site()
        conf = self._dir / "nginx.conf"
        conf.write_text(CONFIG.format(dir=self._dir, port=self.port))
        cmd = [binary, "-c", str(conf), "-p", str(self._dir)]
        if self.cpu is not None and shutil.which("taskset"):
            cmd = ["taskset", "-c", str(self.cpu), *cmd]
        # nginx takes over our listening socket (its binary-upgrade hand-over, NGINX=fd;)
        # so that the socket's congestion control is ours to choose.
        fd = self._sock.fileno()
        env = dict(os.environ, NGINX=f"{fd};")
        self._proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                      pass_fds=(fd,), env=env, start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode() if self._proc.stderr else ""
                raise SystemExit(f"nginx exited: {err}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as c:
                    c.sendall(b"GET /small HTTP/1.0\r\n\r\n")
                    if c.recv(16).startswith(b"HTTP/1.1 200"):  # nginx, not our queue
                        self._sock.close()
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise SystemExit("nginx did not start within 10 s")

    def warm(self) -> None:
        """Read the served files, so that nginx sends them from the page cache.

        Page cache left idle is paged out on the benchmark VM (a DAMON ``pageout``
        scheme); nginx then reads /big from the disk while sending it, and the client's
        run is slowed ~5x with ~9x its CPU per MiB (host time spent on the disk reads is
        charged to whatever runs on the vCPU; any client, aiohttp's too). Cheap when the
        files are in memory already (one pass over 100 MiB).
        """
        chunk = bytearray(1 << 20)
        for name in ("big.bin", "small.txt", "data.json"):
            with open(self._dir / "www" / name, "rb", buffering=0) as f:
                while f.readinto(chunk):
                    pass

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._proc.send_signal(signal.SIGQUIT)
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)  # the master and its worker
                self._proc.wait()
            if self._proc.stderr is not None:
                self._proc.stderr.close()
            self._proc = None
        if self._sock is not None:
            self._sock.close()
        if self._made_dir:
            shutil.rmtree(self._dir, ignore_errors=True)
