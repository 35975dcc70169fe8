"""A real DNS server on loopback (dnslib, UDP, in a thread) for the AsyncResolver tests."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

from dnslib import AAAA, QTYPE, RCODE, RR, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class ZoneResolver(BaseResolver):  # type: ignore[misc]
    """Answers from a dict: name -> list of addresses; unknown names get NXDOMAIN.

    Names in *slow* are answered only after *delay* seconds (to make clients time out).
    """

    def __init__(self, zone: dict[str, list[str]], slow: set[str], delay: float) -> None:
        self.zone = zone
        self.slow = slow
        self.delay = delay
        self.queries: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def resolve(self, request: Any, handler: Any) -> Any:
        qname = str(request.q.qname).rstrip(".")
        qtype = QTYPE[request.q.qtype]
        with self.lock:
            self.queries.append((qname, qtype))
        if qname in self.slow:
            time.sleep(self.delay)
        reply = request.reply()
        addresses = self.zone.get(qname)
        if addresses is None:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for address in addresses:
            is_v6 = ":" in address
            if qtype == "A" and not is_v6:
                reply.add_answer(RR(request.q.qname, QTYPE.A, rdata=A(address), ttl=60))
            elif qtype == "AAAA" and is_v6:
                reply.add_answer(RR(request.q.qname, QTYPE.AAAA, rdata=AAAA(address), ttl=60))
        return reply


class LoopbackDNS:
    """``with LoopbackDNS({"svc.test": ["127.0.0.1"]}) as dns: dns.nameserver``."""

    def __init__(
        self, zone: dict[str, list[str]], slow: set[str] | None = None, delay: float = 1.0
    ) -> None:
        self.resolver = ZoneResolver(zone, slow or set(), delay)
        quiet = DNSLogger(log="-request,-reply,-truncated,-error,-recv,-send,-data", logf=lambda s: None)
        self.server = DNSServer(self.resolver, address="127.0.0.1", port=0, logger=quiet)

    @property
    def port(self) -> int:
        return int(self.server.server.server_address[1])

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self.port}"

    def queries_for(self, name: str) -> list[str]:
        with self.resolver.lock:
            return [t for n, t in self.resolver.queries if n == name]

    def __enter__(self) -> LoopbackDNS:
        self.server.start_thread()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.server.stop()
        self.server.server.server_close()
