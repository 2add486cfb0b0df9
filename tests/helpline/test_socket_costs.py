"""What the sockets cost the database: the one thread that all sockets of a process share.

A chat message is one durable commit and nothing more; a tick that finds nothing
changed writes nothing; a tick repairs a lost signal from the database.
"""

import uuid

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from helpline import groups
from helpline.conversations import message_post
from tests.helpline.chat_sockets import console_socket, frames_until_quiet, receive_type, start_chat

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


class DatabaseThreadQueries:
    """The statements run on the sockets' database thread while the block runs."""

    async def __aenter__(self):
        # django.db.connection is a per-thread proxy: capture the thread's own one.
        self.context = await database_sync_to_async(
            lambda: CaptureQueriesContext(connections[DEFAULT_DB_ALIAS])
        )()
        await database_sync_to_async(self.context.__enter__)()
        return self

    async def __aexit__(self, *exc):
        await database_sync_to_async(self.context.__exit__)(None, None, None)

    @property
    def statements(self) -> list[str]:
        return [query["sql"] for query in self.context.captured_queries]

    @property
    def writes(self) -> list[str]:
        return [
            sql
            for sql in self.statements
            if sql.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE", "WITH")
        ]


async def accepted_chat(operator):
    youth = await start_chat()
    console = await console_socket(operator)
    conversation_id = youth.started["conversation"]
    await console.send_json_to({"type": "accept", "conversation": conversation_id})
    await receive_type(console, "accepted")
    await receive_type(youth, "state")
    return youth, console, conversation_id


async def test_a_chat_message_costs_one_insert_and_nothing_else(op_hanoi):
    youth, console, _conversation_id = await accepted_chat(op_hanoi)
    await frames_until_quiet(console)
    client_id = str(uuid.uuid4())
    async with DatabaseThreadQueries() as queries:
        await youth.send_json_to({"type": "message", "client_id": client_id, "body": "chào"})
        assert (await receive_type(youth, "ack"))["seq"] == 1
        assert (await receive_type(console, "message"))["body"] == "chào"
        await frames_until_quiet(console)
    statements = [sql.split()[0] for sql in queries.statements]
    if connection.vendor == "postgresql":
        # The seq and the row in one statement: one round trip, its own transaction.
        assert statements == ["WITH"]
    else:
        # One transaction: take the next seq, insert the row, one durable commit.
        assert statements == ["BEGIN", "UPDATE", "INSERT", "COMMIT"]
    for socket in (youth, console):
        await socket.disconnect()


async def test_a_tick_that_finds_nothing_changed_writes_nothing(op_hanoi):
    youth, console, conversation_id = await accepted_chat(op_hanoi)
    await frames_until_quiet(console)
    async with DatabaseThreadQueries() as queries:
        # Both sockets of the conversation tick, as their timers would.
        await get_channel_layer().group_send(
            groups.conversation_group(conversation_id), {"type": "socket.tick"}
        )
        assert await frames_until_quiet(console) == []
        assert await frames_until_quiet(youth) == []
    assert queries.writes == []
    reads_of_the_chat = [
        sql
        for sql in queries.statements
        if conversation_id.replace("-", "") in sql.replace("-", "")
    ]
    # One read per socket, and it finds nothing.
    assert len(reads_of_the_chat) == 2
    for socket in (youth, console):
        await socket.disconnect()


async def test_a_tick_delivers_a_message_whose_signal_was_lost(op_hanoi):
    youth, console, conversation_id = await accepted_chat(op_hanoi)
    await frames_until_quiet(console)
    await database_sync_to_async(post_without_signal)(conversation_id, "tín hiệu bị mất")
    assert await frames_until_quiet(console) == []
    await get_channel_layer().group_send(
        groups.conversation_group(conversation_id), {"type": "socket.tick"}
    )
    message = await receive_type(console, "message")
    assert (message["seq"], message["body"]) == (1, "tín hiệu bị mất")
    assert (await receive_type(youth, "message"))["seq"] == 1
    for socket in (youth, console):
        await socket.disconnect()


def post_without_signal(conversation_id, body):
    """Post a message and drop its on-commit broadcast, as a lost signal."""
    with transaction.atomic():
        message_post(conversation_id=conversation_id, sender="system", body=body)
        transaction.get_connection().run_on_commit = []
