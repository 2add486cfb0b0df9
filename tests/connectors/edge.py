"""A stand-in for a platform's HTTP API on loopback: the only fake in the connector tests.

The code under test talks real HTTP (connectors/http.py) to this server, which
records every request and answers the way the platform's documentation says
it does. A test can make the next answers fail: with a JSON body and a status,
or by dropping the connection (the network failing).
"""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

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

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
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
