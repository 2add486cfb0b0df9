"""Random frames at the four sockets (youth, console, liaison, board) through the full ASGI app.

Hypothesis builds frames of every shape: any JSON, text near and over the 16 KiB
limit, lone surrogates written as JSON escapes, NUL, right-to-left marks and emoji,
deep nesting, and each known field of each known frame type with a value of the
wrong type. Whatever arrives, the socket must never fail: no 1011 close, no
server_error frame, nothing logged at ERROR and no traceback. A bad frame is
answered with an error frame or closes the socket with 4400 or 4429, and a socket
that did not close still answers a ping with a pong.
"""

import json
import logging

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from config.asgi import application
from escalation.consumers import LiaisonQueueConsumer
from helpline.models import User
from helpline.sockets.console import OperatorConsoleConsumer
from helpline.sockets.youth import SURVEY_FIELDS, YouthChatConsumer
from reports.sockets import BoardConsumer
from tests.helpline.chat_sockets import HOST, ORIGIN, session_cookie
from tests.property import profiles  # noqa: F401 - loads the Hypothesis profile
from tests.property.profiles import examples

LIMIT = django_settings.CHAT_MAX_FRAME_BYTES
A_UUID = "6f1c2a52-3b7e-4f0a-9d8e-2b1f6c0e9a11"

# Every frame type each socket knows, with the JSON type of each field it reads.
# The handlers' own tables are compared with these below, so a new frame type
# cannot slip past the fuzzing.
CONVERSATION = {"conversation": str}
FIELDS = {
    "youth": {
        "start": {"province": str, "language": str, "age_group": str, "mode": str, "danger": bool},
        "resume": {"token": str, "last_seq": int, "language": str, "passphrase": str},
        "message": {"client_id": str, "body": str},
        "typing": {},
        "end": {"reason": str},
        "sync": {},
        "status": {"province": str},
        "danger": {},
        "passphrase": {"passphrase": str, "returning": bool},
        "survey": dict.fromkeys(SURVEY_FIELDS, str),
        "delete_request": {},
        "ping": {},
    },
    "console": {
        "accept": CONVERSATION,
        "message": {**CONVERSATION, "client_id": str, "body": str},
        "typing": CONVERSATION,
        "end": CONVERSATION,
        "risk": {**CONVERSATION, "risk": str},
        "transfer": {**CONVERSATION, "hotline": str, "note": str},
        "case_create": {**CONVERSATION, "risk": str, "summary": str, "categories": list},
        "case_link": {**CONVERSATION, "case": int, "reference": str},
        "presence": {"status": str},
        "sync": {**CONVERSATION, "last_seq": int},
        "canned": {},
        "active": {},
        "monitor": CONVERSATION,
        "unmonitor": CONVERSATION,
        "earlier": {**CONVERSATION, "open": bool},
        "wrap_up": {
            **CONVERSATION,
            "categories": list,
            "contact_type": str,
            "outcome": str,
            "gender": str,
        },
        "ping": {},
    },
    "liaison": {"sync": {}, "watch": {"escalation": int}, "ping": {}},
    "board": {"sync": {}, "ping": {}},
}
CONSUMERS = {
    "youth": YouthChatConsumer,
    "console": OperatorConsoleConsumer,
    "liaison": LiaisonQueueConsumer,
    "board": BoardConsumer,
}
# A value of the right type for each field, so that a frame differs from a sound
# one in the one field under test.
SOUND = {
    str: "01",
    int: 1,
    bool: False,
    list: [],
}
SOUND_BY_FIELD = {"conversation": A_UUID, "client_id": A_UUID, "body": "Chào bạn"}
# Fields a socket reads leniently on purpose: anything but the one value it acts on
# means "not that", and the frame still does its job (an end without a quick exit).
LENIENT = {("youth", "end", "reason")}

# --- the strategies ---

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
WRONG_VALUES = {
    str: st.one_of(
        st.integers(),
        st.booleans(),
        st.floats(allow_nan=False),
        st.lists(st.text(max_size=3), max_size=2),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    ),
    int: st.one_of(
        st.text(max_size=5),
        st.booleans(),
        st.floats(allow_nan=False).filter(lambda x: not float(x).is_integer()),
        st.lists(st.integers(), max_size=2),
        st.just(2**70),
        st.just(-1),
    ),
    bool: st.one_of(st.text(max_size=5), st.integers(), st.lists(st.booleans(), max_size=2)),
    list: st.one_of(
        st.text(max_size=5),
        st.integers(),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        st.lists(st.lists(st.integers(), max_size=2), min_size=1, max_size=2),
    ),
}
# Text a young person could not type into a form, written as JSON escapes where
# JSON allows it: lone surrogates, NUL; and text that is fine: RTL marks, emoji.
ODD_TEXT = ["\\ud800", "\\udfff", "\\u0000", "\u200f\u202e", "👩‍👩‍👧", "\\ud83d", "Ti\u0301ếng"]


def sound_frame(kind: str, frame_type: str) -> dict:
    fields = FIELDS[kind][frame_type]
    return {
        "type": frame_type,
        **{name: SOUND_BY_FIELD.get(name, SOUND[expected]) for name, expected in fields.items()},
    }


@st.composite
def wrong_field(draw, kind: str):
    """A known frame type, sound but for one field of the wrong JSON type."""
    typed = sorted((t, f) for t, fields in FIELDS[kind].items() for f in fields)
    frame_type, field = draw(st.sampled_from(typed))
    frame = sound_frame(kind, frame_type)
    frame[field] = draw(WRONG_VALUES[FIELDS[kind][frame_type][field]])
    return ("wrong_field", (kind, frame_type, field)), json.dumps(frame)


@st.composite
def odd_text(draw, kind: str):
    """A known frame with odd text in a string field, escaped so that the text is raw JSON."""
    typed = sorted(
        (t, f)
        for t, fields in FIELDS[kind].items()
        for f, expected in fields.items()
        if expected is str
    ) or [("sync", "note")]
    frame_type, field = draw(st.sampled_from(typed))
    frame = sound_frame(kind, frame_type)
    frame[field] = "@@"
    odd = "".join(draw(st.lists(st.sampled_from(ODD_TEXT), min_size=1, max_size=3)))
    return ("odd_text", None), json.dumps(frame, ensure_ascii=False).replace("@@", odd)


@st.composite
def sized(draw, kind: str):
    """A frame of about the size limit: a little under it, or over it by up to a few bytes."""
    frame_type = draw(st.sampled_from(sorted(set(FIELDS[kind]) - {"ping"})))
    size = draw(st.sampled_from([LIMIT - 64, LIMIT - 1, LIMIT, LIMIT + 1, LIMIT + 300, 4 * LIMIT]))
    filler = draw(st.sampled_from(["a", "é", "👋"]))
    head = json.dumps({"type": frame_type, "pad": ""})[:-2]
    room = size - len(head.encode()) - 2
    pad = filler * (room // len(filler.encode()))
    text = head + pad + '"}'
    return ("sized", len(text.encode())), text


def deep(depth: int) -> str:
    return '{"type": "sync", "a": ' + "[" * depth + "]" * depth + "}"


def a_ping(item) -> bool:
    """A fuzzed frame that is itself a ping would be answered with the probe's pong."""
    try:
        frame = json.loads(item[1])
    except (ValueError, RecursionError):
        return False
    return isinstance(frame, dict) and frame.get("type") == "ping"


def frames(kind: str):
    typed = any(FIELDS[kind].values())
    return st.one_of(
        *([wrong_field(kind)] * 2 if typed else []),
        odd_text(kind),
        sized(kind),
        st.builds(lambda v: (("any_json", None), json.dumps(v)), json_values),
        st.builds(
            lambda v: (("any_object", None), json.dumps(v)),
            st.dictionaries(
                st.sampled_from(["type", "conversation", "body", "client_id", "x"]), json_values
            ),
        ),
        st.builds(lambda d: (("deep", d), deep(d)), st.sampled_from([3, 50, 5000])),
        st.sampled_from([(("not_json", None), t) for t in ["{", "nul\x00l", "[1,", "null", " "]]),
    ).filter(lambda item: not a_ping(item))


# --- the sockets ---


def staff_headers(cookie: str) -> list:
    return [HOST, ORIGIN, (b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={cookie}".encode())]


PATHS = {
    "youth": "/ws/chat/",
    "console": "/ws/console/",
    "liaison": "/ws/liaison/",
    "board": "/ws/board/",
}


async def answer_to(socket, text: str) -> tuple[list[dict], int | None]:
    """Send text, then a ping: every frame before the pong, or the close code instead."""
    await socket.send_to(text_data=text)
    return await until_pong(socket)


async def until_pong(socket) -> tuple[list[dict], int | None]:
    await socket.send_to(text_data='{"type": "ping"}')
    replies = []
    while True:
        output = await socket.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            return replies, output.get("code")
        frame = json.loads(output["text"])
        if frame.get("type") == "pong":
            return replies, None
        replies.append(frame)


async def open_socket(kind: str, cookie: str | None, address: str):
    headers = [HOST, ORIGIN] if cookie is None else staff_headers(cookie)
    socket = WebsocketCommunicator(application, PATHS[kind], headers=headers)
    socket.scope["client"] = (address, 50000)
    connected, _code = await socket.connect()
    assert connected
    if kind == "youth":
        # Most frame types need a chat: start one, so they reach their handlers.
        replies, closed = await answer_to(socket, '{"type": "start", "province": "01"}')
        assert closed is None and replies[0]["type"] == "started"
    else:
        _greeting, closed = await until_pong(socket)
        assert closed is None
    return socket


def check(kind: str, what: tuple, replies: list[dict], closed: int | None, sent: str) -> None:
    label, detail = what
    errors = [frame for frame in replies if frame.get("type") == "error"]
    assert not any(e.get("code") == "server_error" for e in errors), (kind, what, errors)
    if closed is not None:
        assert closed in (4400, 4429), (kind, what, closed)
        return
    assert len(sent.encode("utf-8", "surrogatepass")) <= LIMIT, (
        kind,
        what,
        "over the limit, still open",
    )
    if label in ("not_json", "deep") and detail != 3:
        assert errors, (kind, what, replies)
    if label == "wrong_field" and detail not in LENIENT:
        assert errors, (kind, what, replies)
    if label == "odd_text" and not form_text(sent):
        assert errors, (kind, what, replies)


def form_text(sent: str) -> bool:
    """Whether the frame's text is what an HTTP form accepts: no NUL, no lone surrogate."""
    decoded = json.dumps(json.loads(sent), ensure_ascii=False)
    try:
        decoded.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\\u0000" not in decoded


# The board reads every hotline's figures when it opens: a few examples are enough.
EXAMPLES = {"youth": 12, "console": 12, "liaison": 12, "board": 4}


def fuzz(kind: str, cookie: str | None, caplog):
    counter = iter(range(1, 10**6))

    @settings(max_examples=examples(EXAMPLES[kind]))
    @given(batch=st.lists(frames(kind), min_size=1, max_size=5))
    def run(batch):
        caplog.clear()

        async def scenario():
            address = f"10.9.{next(counter) // 250}.{next(counter) % 250 + 1}"
            socket = await open_socket(kind, cookie, address)
            try:
                for what, text in batch:
                    replies, closed = await answer_to(socket, text)
                    check(kind, what, replies, closed, text)
                    if closed is not None:
                        return
            finally:
                # Also after a close: the consumer runs until the disconnect, and a
                # task left running (a Redis receive) would be cancelled at loop
                # shutdown and logged as an error.
                await socket.disconnect()

        with caplog.at_level(logging.INFO):
            async_to_sync(scenario)()
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
        assert "Traceback" not in caplog.text

    run()


# --- the tests ---


def test_it_fuzzes_every_frame_type_each_socket_knows():
    for kind, consumer in CONSUMERS.items():
        assert set(FIELDS[kind]) == set(consumer.handlers), kind


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
@pytest.mark.parametrize(
    ("kind", "username"),
    [("youth", None), ("console", "op_hanoi"), ("liaison", "liaison_a05"), ("board", "sup_hanoi")],
)
def test_it_answers_any_frame_without_failing(kind, username, caplog):
    cookie = None
    if username:
        cookie = session_cookie(User.objects.get(username=username))
    fuzz(kind, cookie, caplog)
