"""Content at rest is ciphertext: a copy of the database alone never reveals a child's words.

Every content column is read here as a dump would read it, with a plain cursor.
"""

import importlib
import io
import os
import runpy
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from channels.db import database_sync_to_async
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import FieldError, ImproperlyConfigured, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection

from cases.models import Case, CaseNote
from cases.services import case_note_add
from config.env import development_fernet_key
from escalation.services import escalation_message_send, escalation_transition
from harms.models import Platform, TakedownChannel
from harms.reference import channels_sync, platforms_sync
from harms.takedowns import takedown_create, takedown_transition
from helpline.conversations import (
    conversation_accept,
    conversation_start,
    conversation_transfer,
    message_post,
)
from helpline.crypto import ContentUnreadable, content_decrypt, encrypted_fields
from helpline.models import Message
from tests.escalation.helpers import escalate
from tests.harms.helpers import record_item
from tests.helpline.chat_sockets import console_socket, receive_type, start_chat

ROOT = Path(__file__).resolve().parent.parent

# A word that stands for a child's words: it must appear in no column of the database.
SECRET = "bimatcuaem"

# What is encrypted (docs/security.md, "Content at rest", says why each, and what is not).
ENCRYPTED = {
    ("helpline.Message", "body"),
    ("helpline.Conversation", "handover_note"),
    ("cases.Case", "summary"),
    ("cases.CaseNote", "body"),
    ("escalation.Escalation", "summary"),
    ("escalation.Escalation", "outcome"),
    ("escalation.Escalation", "decline_reason"),
    ("escalation.EscalationMessage", "body"),
    ("harms.OnlineItem", "url"),
    ("harms.OnlineItem", "handle"),
    ("harms.OnlineItem", "description"),
    ("harms.OnlineItemRevision", "url"),
    ("harms.OnlineItemRevision", "handle"),
    ("harms.OnlineItemRevision", "description"),
    ("harms.TakedownRequest", "outcome_note"),
}


def raw_column(model, field_name: str, pk) -> str:
    """The column as it is stored, read past the model."""
    quote = connection.ops.quote_name
    column = quote(model._meta.get_field(field_name).column)
    key = model._meta.pk.get_db_prep_value(pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {quote(model._meta.db_table)} "  # noqa: S608 - names from _meta
            f"WHERE {quote(model._meta.pk.column)} = %s",
            [key],
        )
        return cursor.fetchone()[0]


def raw_column_write(model, field_name: str, pk, value: str) -> None:
    """Put a value in the column past the model, as rows written before encryption hold them."""
    quote = connection.ops.quote_name
    column = quote(model._meta.get_field(field_name).column)
    key = model._meta.pk.get_db_prep_value(pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} SET {column} = %s "  # noqa: S608 - names from _meta
            f"WHERE {quote(model._meta.pk.column)} = %s",
            [value, key],
        )


def everything_readable_in_the_database() -> str:
    """Every value of every row of every table, as one text: what a dump would show."""
    quote = connection.ops.quote_name
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 - names from the schema
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("utf-8", "replace")
                    values.append(str(value))
    return "\n".join(values)


@pytest.fixture
def harms_data(reference_data):
    platforms_sync(Platform)
    channels_sync(TakedownChannel, Platform)


@pytest.fixture
def content_everywhere(op_hanoi, liaison_a05, make_case, hotline_hanoi, harms_data):
    """Each content column written once through the services staff and young people use.

    Returns {(model label, field name): (model, pk, the text written)}.
    """
    written = {}

    def wrote(obj, field_name):
        text = getattr(type(obj).objects.get(pk=obj.pk), field_name)
        assert SECRET in text
        written[(obj._meta.label, field_name)] = (type(obj), obj.pk, text)

    case = make_case(by=op_hanoi, summary=f"Em kể: {SECRET} tóm tắt")
    wrote(case, "summary")
    wrote(case_note_add(user=op_hanoi, case_id=case.pk, body=f"Ghi chú {SECRET}"), "body")

    conversation, _token = conversation_start(channel="webchat", hotline=hotline_hanoi)
    youth_message, _ = message_post(
        conversation_id=conversation.pk,
        sender="youth",
        body=f"Em sợ lắm, {SECRET}",
        client_id=uuid.uuid4(),
    )
    wrote(youth_message, "body")
    conversation_accept(user=op_hanoi, conversation_id=conversation.pk)
    conversation_transfer(
        user=op_hanoi, conversation_id=conversation.pk, hotline="00", note=f"Bàn giao {SECRET}"
    )
    wrote(conversation, "handover_note")

    resolved = escalate(case, by=op_hanoi, summary=f"Gửi cơ quan: {SECRET}")
    wrote(resolved, "summary")
    escalation_transition(user=liaison_a05, escalation_id=resolved.pk, transition="acknowledge")
    escalation_transition(
        user=liaison_a05, escalation_id=resolved.pk, transition="resolve", text=f"Xong {SECRET}"
    )
    wrote(resolved, "outcome")
    declined = escalate(make_case(by=op_hanoi), by=op_hanoi, summary="Một yêu cầu khác")
    escalation_transition(
        user=liaison_a05, escalation_id=declined.pk, transition="decline", text=f"Lý do {SECRET}"
    )
    wrote(declined, "decline_reason")
    talking = escalate(make_case(by=op_hanoi), by=op_hanoi, summary="Yêu cầu thứ ba")
    wrote(
        escalation_message_send(user=op_hanoi, escalation_id=talking.pk, body=f"Thêm {SECRET}"),
        "body",
    )

    item = record_item(
        case,
        by=op_hanoi,
        url=f"https://example.vn/{SECRET}",
        handle=f"{SECRET}_ke_xau",
        description=f"Mô tả {SECRET}",
    ).item
    revision = item.revisions.get()
    for field_name in ("url", "handle", "description"):
        wrote(item, field_name)
        wrote(revision, field_name)
    takedown = takedown_create(
        user=op_hanoi,
        item_id=item.pk,
        channel_id=TakedownChannel.objects.get(code="tiktok-report").pk,
    )
    takedown_transition(user=op_hanoi, takedown_id=takedown.pk, transition="send")
    takedown_transition(
        user=op_hanoi, takedown_id=takedown.pk, transition="removed", note=f"Đã gỡ {SECRET}"
    )
    wrote(takedown, "outcome_note")
    return written


# --- what a dump holds ------------------------------------------------------------------


def test_it_encrypts_exactly_the_content_columns_it_documents():
    assert {(model._meta.label, field.name) for model, field in encrypted_fields()} == ENCRYPTED


@pytest.mark.django_db
def test_it_stores_only_ciphertext_in_every_content_column(content_everywhere):
    assert set(content_everywhere) == ENCRYPTED
    for (label, field_name), (model, pk, text) in content_everywhere.items():
        stored = raw_column(model, field_name, pk)
        assert SECRET not in stored, (label, field_name)
        assert stored != text
        assert content_decrypt(stored) == text, (label, field_name)


@pytest.mark.django_db
def test_it_leaves_the_childs_words_in_no_column_of_any_table(content_everywhere):
    assert SECRET not in everything_readable_in_the_database()


@pytest.mark.django_db(transaction=True)
async def test_it_relays_a_chat_in_plain_words_while_the_database_holds_ciphertext(
    op_hanoi, reference_data
):
    youth = await start_chat(province="01")
    conversation_id = youth.started["conversation"]
    console = await console_socket(op_hanoi)
    await console.send_json_to({"type": "accept", "conversation": conversation_id})
    await receive_type(console, "accepted")

    words = f"Có người đòi tung ảnh của em, {SECRET}"
    await youth.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": words})
    ack = await receive_type(youth, "ack")
    relayed = await receive_type(console, "message")

    assert (relayed["seq"], relayed["body"]) == (ack["seq"], words)
    message_pk = await database_sync_to_async(
        lambda: Message.objects.get(conversation_id=conversation_id, seq=ack["seq"]).pk
    )()
    stored = await database_sync_to_async(raw_column)(Message, "body", message_pk)
    assert SECRET not in stored
    assert await database_sync_to_async(content_decrypt)(stored) == words
    await youth.disconnect()
    await console.disconnect()


# --- the field behaves like text in Python ---------------------------------------------


@pytest.mark.django_db
def test_it_keeps_empty_texts_empty_so_that_filters_on_empty_still_work(op_hanoi, make_case):
    blank = make_case(by=op_hanoi, summary="")
    written = make_case(by=op_hanoi, summary="Có nội dung")

    assert raw_column(Case, "summary", blank.pk) == ""
    assert list(Case.objects.filter(summary="").values_list("pk", flat=True)) == [blank.pk]
    assert list(Case.objects.exclude(summary="").values_list("pk", flat=True)) == [written.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "lookup",
    [
        {"body": "Xin chào"},
        {"body__icontains": "chào"},
        {"body__startswith": "X"},
        {"body__in": ["a"]},
    ],
)
def test_it_refuses_to_search_content_in_sql_rather_than_silently_find_nothing(lookup):
    with pytest.raises(FieldError, match=r"encrypted|Unsupported lookup"):
        list(Message.objects.filter(**lookup))


def test_it_limits_the_plain_text_to_max_length_in_forms_and_validation():
    summary = Case._meta.get_field("summary")
    assert summary.formfield().max_length == 4000
    summary.clean("ư" * 4000, None)
    with pytest.raises(ValidationError):
        summary.clean("ư" * 4001, None)
    assert CaseNote._meta.get_field("body").formfield().max_length == 8000


# --- keys and rotation ------------------------------------------------------------------


@pytest.mark.django_db
def test_it_reads_old_texts_writes_under_the_newest_key_and_rotates_every_row(
    settings, op_hanoi, make_case
):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CONTENT_ENCRYPTION_KEY = old
    cases = [make_case(by=op_hanoi, summary=f"Hồ sơ {n} dưới khoá cũ") for n in range(3)]
    note = case_note_add(user=op_hanoi, case_id=cases[0].pk, body="Ghi chú dưới khoá cũ")

    settings.CONTENT_ENCRYPTION_KEY = f"{new},{old}"
    assert Case.objects.get(pk=cases[0].pk).summary == "Hồ sơ 0 dưới khoá cũ"
    fresh = make_case(by=op_hanoi, summary="Viết dưới khoá mới")
    assert Fernet(new).decrypt(raw_column(Case, "summary", fresh.pk).encode()).decode() == (
        "Viết dưới khoá mới"
    )
    with pytest.raises(InvalidToken):
        Fernet(new).decrypt(raw_column(Case, "summary", cases[0].pk).encode())

    out = io.StringIO()
    # Batches of one: every row goes through the paging.
    call_command("helpline_rotate_content_key", "--batch-size", "1", stdout=out)
    assert "cases.Case.summary: 3 re-encrypted" in out.getvalue()
    # Notes are append-only for the application; rotation rewrites their ciphertext all the same.
    assert "cases.CaseNote.body: 1 re-encrypted" in out.getvalue()

    settings.CONTENT_ENCRYPTION_KEY = new
    assert [Case.objects.get(pk=case.pk).summary for case in cases] == [
        f"Hồ sơ {n} dưới khoá cũ" for n in range(3)
    ]
    assert CaseNote.objects.get(pk=note.pk).body == "Ghi chú dưới khoá cũ"
    again = io.StringIO()
    call_command("helpline_rotate_content_key", stdout=again)
    assert "cases.Case.summary: 0 re-encrypted" in again.getvalue()


@pytest.mark.django_db
def test_it_fails_closed_on_a_text_no_configured_key_can_read(settings, op_hanoi, make_case):
    lost, kept = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CONTENT_ENCRYPTION_KEY = lost
    orphan = make_case(by=op_hanoi, summary="Dưới khoá đã mất")
    settings.CONTENT_ENCRYPTION_KEY = kept
    readable = make_case(by=op_hanoi, summary="Dưới khoá hiện tại")

    with pytest.raises(ContentUnreadable):
        Case.objects.get(pk=orphan.pk)
    with pytest.raises(CommandError, match="1 texts could not be decrypted"):
        call_command("helpline_rotate_content_key", stdout=io.StringIO())
    assert Case.objects.get(pk=readable.pk).summary == "Dưới khoá hiện tại"


# --- the migrations that encrypt rows written before -----------------------------------

ENCRYPTING_MIGRATIONS = [
    "helpline.migrations.0016_encrypt_existing_content",
    "cases.migrations.0011_encrypt_existing_content",
    "escalation.migrations.0006_encrypt_existing_content",
    "harms.migrations.0004_encrypt_existing_content",
]


def test_it_has_a_migration_encrypting_the_existing_rows_of_every_content_column():
    covered = set()
    for name in ENCRYPTING_MIGRATIONS:
        for app_label, model_name, field_name in importlib.import_module(name).CONTENT_COLUMNS:
            covered.add((f"{app_label}.{model_name}", field_name))
    assert covered == ENCRYPTED


@pytest.mark.django_db
def test_it_encrypts_plain_rows_once_and_turns_them_back_into_plain_text_backwards(
    content_everywhere,
):
    from django.apps import apps

    schema_editor = SimpleNamespace(connection=connection)
    for (_label, field_name), (model, pk, text) in content_everywhere.items():
        raw_column_write(model, field_name, pk, text)
    for name in ENCRYPTING_MIGRATIONS:
        importlib.import_module(name).Migration.operations[0].code(apps, schema_editor)
    first = stored_columns(content_everywhere)
    assert all(SECRET not in stored for stored in first.values())
    assert SECRET not in everything_readable_in_the_database()

    # Started again after a stop half-way: what is encrypted stays as it is.
    for name in ENCRYPTING_MIGRATIONS:
        importlib.import_module(name).Migration.operations[0].code(apps, schema_editor)
    assert stored_columns(content_everywhere) == first

    for name in reversed(ENCRYPTING_MIGRATIONS):
        importlib.import_module(name).Migration.operations[0].reverse_code(apps, schema_editor)
    for (_label, field_name), (model, pk, text) in content_everywhere.items():
        assert raw_column(model, field_name, pk) == text


def stored_columns(written) -> dict:
    return {key: raw_column(model, key[1], pk) for key, (model, pk, _text) in written.items()}


# --- no key, no start -------------------------------------------------------------------


@pytest.fixture
def environment(monkeypatch):
    """A clean environment for loading config/settings.py afresh, with a SECRET_KEY."""
    for name in (
        "DEBUG",
        "CONTENT_ENCRYPTION_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "TWILIO_AUTH_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    return monkeypatch


def load_settings() -> dict:
    return runpy.run_path(str(ROOT / "config" / "settings.py"))


def test_it_refuses_to_start_without_a_content_key_when_debug_is_off(environment):
    with pytest.raises(ImproperlyConfigured, match="CONTENT_ENCRYPTION_KEY must be set"):
        load_settings()


def test_it_refuses_a_malformed_content_key_without_echoing_it(environment):
    environment.setenv("CONTENT_ENCRYPTION_KEY", f"{Fernet.generate_key().decode()},secretvalue")
    with pytest.raises(ImproperlyConfigured, match="CONTENT_ENCRYPTION_KEY") as refused:
        load_settings()
    assert "secretvalue" not in str(refused.value)


def test_it_derives_a_development_key_from_the_secret_key_only_under_debug(environment):
    environment.setenv("DEBUG", "1")
    derived = load_settings()["CONTENT_ENCRYPTION_KEY"]
    assert derived == development_fernet_key("x" * 60, purpose="content")
    Fernet(derived)
    environment.setenv("SECRET_KEY", "y" * 60)
    assert load_settings()["CONTENT_ENCRYPTION_KEY"] != derived


def test_it_takes_the_configured_keys_newest_first(environment):
    keys = [Fernet.generate_key().decode() for _ in range(2)]
    environment.setenv("CONTENT_ENCRYPTION_KEY", f" {keys[0]} , {keys[1]} ")
    assert load_settings()["CONTENT_ENCRYPTION_KEY"] == ",".join(keys)


def test_it_refuses_to_migrate_in_production_without_a_content_key(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "z" * 60,
        "DEBUG": "0",
        "SQLITE_PATH": str(tmp_path / "no-key.sqlite3"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "CONTENT_ENCRYPTION_KEY must be set when DEBUG is off" in result.stderr
    assert not (tmp_path / "no-key.sqlite3").exists()
