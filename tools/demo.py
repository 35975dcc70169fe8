"""ketch in one minute: start a loopback server, talk to it with a session, show what happened.

Run with ``hatch run demo``. Needs no network.
"""

from __future__ import annotations

import asyncio
import json

import ketch


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A tiny HTTP/1.1 server: /json answers JSON, /chunked streams, POST echoes."""
    peer = writer.get_extra_info("peername")
    print(f"  server: new connection from {peer[0]}:{peer[1]}")
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            length = 0
            for line in lines[1:]:
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            body = await reader.readexactly(length) if length else b""
            if target == "/chunked":
                chunks = [b"streamed ", b"in ", b"three chunks"]
                writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                for c in chunks:
                    writer.write(b"%x\r\n%b\r\n" % (len(c), c))
                writer.write(b"0\r\n\r\n")
            else:
                payload = json.dumps(
                    {"method": method, "path": target, "received": body.decode()}
                ).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%b" % (len(payload), payload)
                )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main() -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    print(f"loopback server on {base}")
    async with ketch.ClientSession(base_url=base) as session:
        async with session.get("/json") as resp:
            print(f"GET /json      -> {resp.status} {resp.reason}, "
                  f"content-type {resp.content_type}, json {await resp.json()}")
        async with session.get("/chunked") as resp:
            print(f"GET /chunked   -> {resp.status}, "
                  f"chunked={resp.headers.get('Transfer-Encoding')}, text {await resp.text()!r}")
        async with session.post("/echo", json={"hello": "ketch"}) as resp:
            print(f"POST /echo     -> {resp.status}, server got {(await resp.json())['received']}")
        async with session.post("/echo", data="Привет, Мир!") as resp:
            print(f"POST text      -> {resp.status}, server got {(await resp.json())['received']}")
    print("all four requests shared one keep-alive connection (see the single 'new connection')")
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    asyncio.run(main())
