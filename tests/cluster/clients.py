"""A young person and an operator as small asyncio websocket clients, through nginx.

Each keeps what the real pages keep: an outbox of messages not yet acknowledged
(sent again, with the same client_id, after every reconnect and every second
while connected), the highest seq it has shown, and it reconnects by itself
when the socket drops. They record every ack and every message frame they get,
so the tests can say what was lost or duplicated.
"""

import asyncio
import contextlib
import json
import time
import uuid

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

RESEND_AFTER_SECONDS = 1.0


class Side:
    """What both clients share: the socket, the reconnect loop, the outbox and the records."""

    path = ""

    def __init__(self, base_url: str):
        self.ws_url = base_url.replace("http://", "ws://") + self.path
        self.origin = base_url
        self.socket = None
        self.connected = asyncio.Event()
        self.connections = 0
        self.outbox: dict[str, tuple[dict, float]] = {}  # client_id -> (frame, last sent)
        self.written: list[str] = []  # client_ids of every message written
        self.acks: dict[str, int] = {}  # client_id -> seq
        self.live: list[int] = []  # seqs of the other side's messages pushed one by one
        self.received: dict[int, str] = {}  # seq -> body, from live frames and histories
        self.errors: list[dict] = []
        self.ack_conflicts: list[tuple[str, int, int]] = []  # one client_id, two seqs
        self.frames: asyncio.Queue = asyncio.Queue()
        self.closing = False
        self.task = None

    def headers(self) -> dict:
        return {}

    async def open(self):
        self.task = asyncio.create_task(self._run())
        await asyncio.wait_for(self.connected.wait(), 30)

    async def close(self):
        self.closing = True
        if self.socket is not None:
            await self.socket.close()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task

    async def _run(self):
        delay = 0.1
        while not self.closing:
            try:
                async with connect(
                    self.ws_url,
                    origin=self.origin,
                    additional_headers=self.headers(),
                    open_timeout=5,
                    max_size=None,
                ) as socket:
                    self.socket = socket
                    self.connections += 1
                    await self.greet(socket)
                    self.connected.set()
                    delay = 0.1
                    resender = asyncio.create_task(self._resend_loop())
                    try:
                        await self._flush()
                        async for raw in socket:
                            await self.handle(json.loads(raw))
                    finally:
                        resender.cancel()
            except (OSError, ConnectionClosed, InvalidHandshake, InvalidStatus, TimeoutError):
                pass
            self.connected.clear()
            self.socket = None
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    async def greet(self, socket):
        pass

    async def _resend_loop(self):
        while True:
            await asyncio.sleep(RESEND_AFTER_SECONDS / 2)
            await self._flush(older_than=RESEND_AFTER_SECONDS)

    async def _flush(self, older_than: float = 0.0):
        now = time.monotonic()
        for client_id, (frame, sent_at) in list(self.outbox.items()):
            if now - sent_at >= older_than and self.socket is not None:
                self.outbox[client_id] = (frame, now)
                with contextlib.suppress(ConnectionClosed):
                    await self.socket.send(json.dumps(frame))

    async def send_message(self, body: str, **fields) -> str:
        client_id = str(uuid.uuid4())
        frame = {"type": "message", "client_id": client_id, "body": body, **fields}
        self.written.append(client_id)
        self.outbox[client_id] = (frame, time.monotonic())
        if self.socket is not None:
            with contextlib.suppress(ConnectionClosed):
                await self.socket.send(json.dumps(frame))
        return client_id

    async def handle(self, frame: dict):
        kind = frame.get("type")
        if kind == "ack":
            self.outbox.pop(frame["client_id"], None)
            # The same client_id must always get the same seq.
            first = self.acks.setdefault(frame["client_id"], frame["seq"])
            if first != frame["seq"]:
                self.ack_conflicts.append((frame["client_id"], first, frame["seq"]))
        elif kind == "error":
            self.errors.append(frame)
        await self.frames.put(frame)

    def record_message(self, frame: dict, *, live: bool):
        if frame["sender"] == self.own_sender:
            return
        if live:
            self.live.append(frame["seq"])
        self.received[frame["seq"]] = frame["body"]

    async def wait(self, condition, what: str, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.__class__.__name__}: {what} within {timeout} s")
            await asyncio.sleep(0.05)

    async def next_frame(self, kind: str, timeout: float = 15.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {kind!r} frame")
            frame = await asyncio.wait_for(self.frames.get(), remaining)
            if frame.get("type") == kind:
                return frame


class Youth(Side):
    """The young person's chat page: start once, then resume with the token and last seq."""

    path = "/ws/chat/"
    own_sender = "youth"

    def __init__(self, base_url: str):
        super().__init__(base_url)
        self.token = None
        self.conversation = None
        self.last_seq = 0

    async def greet(self, socket):
        if self.token is None:
            await socket.send(json.dumps({"type": "start", "province": "01"}))
            started = await self._expect(socket, "started")
            self.token, self.conversation = started["token"], started["conversation"]
        else:
            resume = {"type": "resume", "token": self.token, "last_seq": self.last_seq}
            await socket.send(json.dumps(resume))
            await self._expect(socket, "resumed")

    async def say(self, body: str) -> str:
        return await self.send_message(body)

    async def _expect(self, socket, kind: str) -> dict:
        while True:
            frame = json.loads(await asyncio.wait_for(socket.recv(), 10))
            if frame["type"] == kind:
                return frame
            await self.handle(frame)
            if frame["type"] == "error":
                # The page connects again and retries, as after any failed start or resume.
                raise ConnectionError(frame["code"])

    async def handle(self, frame: dict):
        if frame.get("type") == "message":
            self.record_message(frame, live=True)
            self.last_seq = max(self.last_seq, frame["seq"])
        elif frame.get("type") == "ack":
            self.last_seq = max(self.last_seq, frame["seq"])
        await super().handle(frame)


class Operator(Side):
    """The console, logged in with a session cookie; it follows the conversations it holds."""

    path = "/ws/console/"
    own_sender = "operator"

    def __init__(self, base_url: str, session_key: str):
        super().__init__(base_url)
        self.session_key = session_key
        self.conversation = None

    def headers(self) -> dict:
        return {"Cookie": f"sessionid={self.session_key}"}

    async def accept(self, conversation: str):
        self.conversation = conversation
        await self.socket.send(json.dumps({"type": "accept", "conversation": conversation}))
        await self.next_frame("accepted")

    async def say(self, body: str) -> str:
        return await self.send_message(body, conversation=self.conversation)

    async def handle(self, frame: dict):
        kind = frame.get("type")
        if kind == "message" and frame.get("conversation") == self.conversation:
            self.record_message(frame, live=True)
        elif kind == "accepted" and frame.get("conversation") == self.conversation:
            # After a reconnect the console gets each held conversation's whole history.
            for message in frame["messages"]:
                self.record_message(message, live=False)
        await super().handle(frame)
