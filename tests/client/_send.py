"""Send a ``Payload`` to a loopback server exactly as the body seam's contract says.

This is a minimal, independent user of the seam (``size`` None means chunked, ``body``
is the in-memory fast path, otherwise ``iter_chunks``), so the body tests exercise the
payload classes over a real socket without depending on the session pipeline.
"""

from __future__ import annotations

import asyncio

from ketch import Payload
from tests.servers import HTTPServer, Reply, Request


async def ok(req: Request, writer: asyncio.StreamWriter) -> Reply:
    return Reply(body=b"ok")


async def send(server: HTTPServer, payload: Payload, method: str = "POST") -> Request:
    """Send *payload* as the body of one request; return what the server received."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        headers = [("Host", f"{server.host}:{server.port}")]
        headers += [(k, v) for k, v in payload.headers.items()]
        size = payload.size
        if size is None:
            headers.append(("Transfer-Encoding", "chunked"))
        else:
            headers.append(("Content-Length", str(size)))
        head = f"{method} /upload HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
        writer.write(head.encode("latin-1") + b"\r\n")
        body = payload.body
        if body is not None:
            assert size == len(body)
            writer.write(body)
        else:
            async for chunk in payload.iter_chunks():
                assert isinstance(chunk, bytes) and chunk, chunk
                if size is None:
                    writer.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
                else:
                    writer.write(chunk)
                await writer.drain()
            if size is None:
                writer.write(b"0\r\n\r\n")
        await writer.drain()
        status = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert status.startswith(b"HTTP/1.1 200"), status
    finally:
        writer.close()
        await writer.wait_closed()
    return server.requests[-1]
