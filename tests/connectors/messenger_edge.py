"""Meta's Graph API Send endpoint on loopback (POST /<version>/<page id>/messages).

It accepts only the Page token it was given, answers like the Send API
({"recipient_id", "message_id"}), and errors in the Graph shape
({"error": {"code", "error_subcode", "message"}}) with their HTTP status.
"""

import itertools

from tests.connectors.edge import EdgeRequest, LoopbackEdge

APP_SECRET = "messenger-app-secret-for-tests"
VERIFY_TOKEN = "messenger-verify-token-for-tests"
PAGE_ID = "104857600000001"
NATIONAL_PAGE_ID = "104857600000002"
PAGE_TOKEN = "messenger-page-token-for-tests"
VERSION = "v21.0"


def graph_error(code: int, subcode: int | None = None, status: int = 400) -> tuple[dict, int]:
    error = {"message": f"(#{code}) error", "type": "OAuthException", "code": code}
    if subcode:
        error["error_subcode"] = subcode
    return {"error": error}, status


class MessengerEdge(LoopbackEdge):
    def __init__(self):
        super().__init__()
        self._numbers = itertools.count(1)

    def messages(self) -> list[EdgeRequest]:
        return self.sent("/messages")

    def answer(self, request: EdgeRequest) -> tuple[int, dict]:
        if not request.path.startswith(f"/{VERSION}/") or not request.path.endswith("/messages"):
            return 404, graph_error(100)[0]
        if request.headers.get("authorization") != f"Bearer {PAGE_TOKEN}":
            return 401, graph_error(190)[0]
        recipient = request.body.get("recipient", {}).get("id")
        return 200, {"recipient_id": recipient, "message_id": f"m_out{next(self._numbers)}"}
