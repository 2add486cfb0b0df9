"""A TCP proxy on loopback that fails like a mobile network, for the browser tests.

Chromium's offline switch leaves an open WebSocket open, so it cannot show how a
page copes with a network that really fails. This proxy sits between Chromium and
the live daphne and passes bytes both ways (HTTP and WebSocket alike), until the
test says otherwise:

- cut(): every connection is reset at once, and new ones are reset as soon as
  they arrive, like a phone that lost its signal;
- hold(): nothing is forwarded any more and nothing is closed, like a link that
  went silent (a lift, a mobile network that forgot the flow); new connections
  are accepted and wait too;
- restore(): bytes flow again, held ones first.

Open the page through it (`base_url=network.base_url`) and the page's socket goes
through it too, since the chat page connects to its own host and port.
"""

import asyncio
import threading
from urllib.parse import urlsplit

CHUNK = 65536


class FlakyNetwork:
    """Use as a context manager: `with FlakyNetwork(live_server_url) as network: ...`."""

    def __init__(self, upstream_url: str):
        parts = urlsplit(upstream_url)
        self.upstream = (parts.hostname, parts.port)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._flowing: asyncio.Event | None = None
        self._refusing = False
        self._server: asyncio.Server | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "FlakyNetwork":
        self._thread.start()
        self._run(self._listen())
        return self

    def __exit__(self, *exc_info) -> None:
        self._run(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def cut(self) -> None:
        self._run(self._cut())

    def hold(self) -> None:
        self._run(self._hold())

    def restore(self) -> None:
        self._run(self._restore())

    # -- on the proxy's own event loop ------------------------------------------

    def _run(self, coroutine) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._refusing:
            writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        link = (writer, upstream_writer)
        self._links.add(link)
        try:
            await asyncio.gather(
                self._pipe(reader, upstream_writer),
                self._pipe(upstream_reader, writer),
                return_exceptions=True,
            )
        finally:
            self._links.discard(link)
            writer.transport.abort()
            upstream_writer.transport.abort()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            data = await reader.read(CHUNK)
            # Held bytes wait here, in the proxy, until the link is restored.
            await self._flowing.wait()
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    async def _cut(self) -> None:
        self._refusing = True
        self._flowing.set()
        for client, upstream in list(self._links):
            client.transport.abort()
            upstream.transport.abort()

    async def _hold(self) -> None:
        self._flowing.clear()

    async def _restore(self) -> None:
        self._refusing = False
        self._flowing.set()

    async def _close(self) -> None:
        await self._cut()
        self._server.close()
        await self._server.wait_closed()
