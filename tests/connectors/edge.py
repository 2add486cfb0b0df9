"""A stand-in for a platform's HTTP API on loopback: the only fake in the connector tests.

The code under test talks real HTTP (connectors/http.py) to this server, which
records every request and answers the way the platform's documentation says
it does. A test can make the next answers fail: with a JSON body and a status,
or by dropping the connection (the network failing).

Each edge also has its platform's CDN (`edge.cdn`), where the images young
people send are: https on another port, with a certificate of the tests' own
CA (tests/connectors/tls.py), serving what a test puts there.
"""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from tests.connectors.tls import server_context

DROP = "drop"


@dataclass
class EdgeRequest:
    method: str
    path: str
    headers: dict
    body: dict = field(default_factory=dict)


class LoopbackEdge:
    def __init__(self):
        self.requests: list[EdgeRequest] = []
        self._failures: list = []
        self.lock = threading.Lock()
        edge = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                edge._handle(self)

            def do_GET(self):
                # The CDN's files over plain http too: what a client must never fetch.
                edge.cdn._handle(self)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.cdn = LoopbackCdn()

    def __enter__(self):
        self._thread.start()
        self.cdn.__enter__()
        return self

    def __exit__(self, *exc):
        self.cdn.__exit__(*exc)
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, answer, status: int = 200) -> None:
        """Answer the next request with this JSON (and status), or DROP the connection."""
        with self.lock:
            self._failures.append((answer, status))

    def sent(self, path_part: str) -> list[EdgeRequest]:
        with self.lock:
            return [r for r in self.requests if path_part in r.path]

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode()
        if handler.headers.get("Content-Type", "").startswith("application/json"):
            body = json.loads(raw or "{}")
        else:
            body = dict(parse_qsl(raw))
        # Header names in lower case: HTTP does not care, and clients spell them differently.
        headers = {name.lower(): value for name, value in handler.headers.items()}
        request = EdgeRequest(handler.command, handler.path, headers, body)
        with self.lock:
            self.requests.append(request)
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None and failure[0] == DROP:
            handler.close_connection = True
            handler.connection.close()
            return
        status, answer = (failure[1], failure[0]) if failure else self.answer(request)
        data = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def answer(self, request: EdgeRequest) -> tuple[int, dict]:
        raise NotImplementedError


@dataclass
class CdnFile:
    body: bytes = b""
    status: int = 200
    # A redirect's target; None when the file is served.
    location: str | None = None
    # False: no Content-Length, the body ends when the connection closes.
    declare_length: bool = True
    # True: the connection is dropped before any answer (the network failing).
    drop: bool = False
    # True: half the body is sent, then nothing more until the CDN stops (a connection that hangs).
    stall: bool = False


class LoopbackCdn:
    """A platform's CDN on loopback over https: GET what a test put there, record each request."""

    def __init__(self):
        self.files: dict[str, CdnFile] = {}
        self.requests: list[EdgeRequest] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        cdn = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                cdn._handle(self)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.socket = server_context().wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def host(self) -> str:
        """The allowed-hosts entry naming this CDN (settings.CONNECTOR_MEDIA_HOSTS)."""
        return f"127.0.0.1:{self.port}"

    def url(self, path: str, *, host: str = "127.0.0.1") -> str:
        return f"https://{host}:{self.port}{path}"

    def put(self, path: str, body: bytes, **options) -> str:
        """Serve body at path; its https URL."""
        with self.lock:
            self.files[path] = CdnFile(body=body, **options)
        return self.url(path)

    def redirect(self, path: str, location: str) -> str:
        with self.lock:
            self.files[path] = CdnFile(status=302, location=location)
        return self.url(path)

    def fetched(self, path: str) -> int:
        with self.lock:
            return sum(1 for r in self.requests if r.path == path)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        headers = {name.lower(): value for name, value in handler.headers.items()}
        with self.lock:
            self.requests.append(EdgeRequest("GET", handler.path, headers))
            file = self.files.get(handler.path)
        if file is None:
            file = CdnFile(body=b"not found", status=404)
        if file.drop:
            handler.close_connection = True
            handler.connection.close()
            return
        handler.send_response(file.status)
        if file.location is not None:
            handler.send_header("Location", file.location)
        handler.send_header("Content-Type", "application/octet-stream")
        if file.declare_length:
            handler.send_header("Content-Length", str(len(file.body)))
        handler.end_headers()
        if file.stall:
            handler.wfile.write(file.body[: len(file.body) // 2])
            handler.wfile.flush()
            self.stopping.wait(timeout=30)
            return
        handler.wfile.write(file.body)
