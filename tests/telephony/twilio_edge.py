"""A stand-in for Twilio's REST API on loopback, for live servers started by browser tests.

It answers like tests.telephony.twilio_kit.FakeTwilioHttpClient (the same
fixtures), but over real HTTP, because the live server is another process.
It records each request and can be told to fail the next ones.
"""

import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from tests.telephony.twilio_kit import FIXTURES


@dataclass
class EdgeRequest:
    method: str
    path: str
    form: dict
    sid: str = ""


class TwilioEdge:
    def __init__(self):
        self.requests: list[EdgeRequest] = []
        self._failures: list[tuple[int, str]] = []
        self._lock = threading.Lock()
        edge = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                edge._handle(self)

            def do_DELETE(self):
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

    def fail_next(self, status: int, fixture: str) -> None:
        """Answer the next request with this status and fixture (e.g. 503, rest_error_server)."""
        with self._lock:
            self._failures.append((status, fixture))

    def sent(self, kind: str) -> list[EdgeRequest]:
        """The recorded requests to Messages.json ("Messages") or Calls/<sid>.json ("Calls")."""
        with self._lock:
            return [r for r in self.requests if f"/{kind}" in r.path]

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        form = dict(parse_qsl(handler.rfile.read(length).decode()))
        with self._lock:
            recorded = EdgeRequest(handler.command, handler.path, form)
            self.requests.append(recorded)
            failure = self._failures.pop(0) if self._failures else None
            count = len(self.requests)
        if failure is not None:
            status, body = failure[0], (FIXTURES / f"{failure[1]}.json").read_text()
        else:
            status, body = self._answer(handler.command, handler.path, form, count)
            recorded.sid = json.loads(body).get("sid", "")
        data = body.encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _answer(self, method: str, path: str, form: dict, count: int) -> tuple[int, str]:
        call = re.search(r"/Calls/(CA\w+)\.json", path)
        if call and method == "POST":
            body = json.loads((FIXTURES / "rest_call_update.json").read_text())
            body["sid"] = call.group(1)
            return 200, json.dumps(body)
        if re.search(r"/Messages\.json", path) and method == "POST":
            body = json.loads((FIXTURES / "rest_message_create.json").read_text())
            body.update(sid=f"SM{count:032x}", to=form.get("To"), body=form.get("Body"))
            body["from"] = form.get("From")
            return 201, json.dumps(body)
        return 404, json.dumps({"code": 20404, "message": "not found", "status": 404})
