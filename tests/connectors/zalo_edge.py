"""Zalo's APIs on loopback: the OA customer-service message (v3.0) and the OAuth token refresh (v4).

Like Zalo, it answers HTTP 200 with {"error": <code>} for what it refuses,
accepts only the access token it issued last, and takes each refresh token
once: a refresh hands out a new pair and the old refresh token stops working.
"""

import itertools
import time

from tests.connectors.edge import EdgeRequest, LoopbackEdge

APP_ID = "1234567890123456789"
APP_SECRET_KEY = "zalo-app-secret-for-tests"
OA_SECRET_KEY = "zalo-oa-secret-for-tests-0123456789"
OA_ID = "579745863508352884"
NATIONAL_OA_ID = "579745863508350000"
FIRST_ACCESS_TOKEN = "zalo-access-0"
FIRST_REFRESH_TOKEN = "zalo-refresh-0"
SEND_PATH = "/v3.0/oa/message/cs"
REFRESH_PATH = "/v4/oa/access_token"


class ZaloEdge(LoopbackEdge):
    def __init__(self):
        super().__init__()
        self.access_token = FIRST_ACCESS_TOKEN
        self.refresh_token = FIRST_REFRESH_TOKEN
        self.expires_in = "90000"
        # Seconds the refresh answer takes, to let a second refresher arrive meanwhile.
        self.refresh_delay = 0.0
        self._numbers = itertools.count(1)

    def messages(self) -> list[EdgeRequest]:
        return self.sent(SEND_PATH)

    def refreshes(self) -> list[EdgeRequest]:
        return self.sent(REFRESH_PATH)

    def answer(self, request: EdgeRequest) -> tuple[int, dict]:
        if request.path == REFRESH_PATH:
            return self._refresh(request)
        if request.path == SEND_PATH:
            if request.headers.get("access_token") != self.access_token:
                return 200, {"error": -216, "message": "Access token is invalid"}
            recipient = request.body.get("recipient", {})
            number = next(self._numbers)
            return 200, {
                "error": 0,
                "message": "Success",
                "data": {"message_id": f"zalo-out-{number}", "user_id": recipient.get("user_id")},
            }
        return 404, {"error": -201, "message": "not found"}

    def _refresh(self, request: EdgeRequest) -> tuple[int, dict]:
        if self.refresh_delay:
            time.sleep(self.refresh_delay)
        body = request.body
        with self.lock:
            valid = (
                request.headers.get("secret_key") == APP_SECRET_KEY
                and body.get("app_id") == APP_ID
                and body.get("grant_type") == "refresh_token"
                and body.get("refresh_token") == self.refresh_token
            )
            if not valid:
                return 200, {"error": -14014, "error_name": "Invalid refresh token"}
            number = next(self._numbers)
            self.access_token = f"zalo-access-{number}"
            self.refresh_token = f"zalo-refresh-{number}"
        return 200, {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_in": self.expires_in,
        }
