"""Content at rest: what a young person wrote, and what staff wrote about them, is ciphertext.

A database dump or backup alone never reveals a child's words. Each content
column holds a Fernet token (AES-128-CBC with HMAC-SHA256) under the keys in
CONTENT_ENCRYPTION_KEY, kept outside the database: comma-separated, newest
first; the first encrypts, all decrypt, as for phone numbers. Python code sees
plain str: EncryptedTextField encrypts on the way in and decrypts on the way out.

An empty text stays empty in the column. That says only that nothing was
written, and it keeps `field=""` filters and the check constraints on empty
values working. Any other comparison of content in SQL is refused (FieldError):
ciphertext of the same text differs every time, so it could only ever silently
match nothing.
"""

from collections.abc import Callable, Iterator
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core import validators
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import connections, models, transaction
from django.db.models.lookups import Exact

# Rows rewritten per transaction by the migrations and the rotation command: small enough
# that a batch holds its row locks only briefly while the helpline keeps serving.
REWRITE_BATCH_SIZE = 500


class ContentKeyMissing(ImproperlyConfigured):
    """CONTENT_ENCRYPTION_KEY is empty or malformed: no content may be written or read."""


class ContentUnreadable(ImproperlyConfigured):
    """A stored text does not decrypt with any configured key (a key was dropped too early)."""


@lru_cache(maxsize=4)
def _ciphers(raw: str) -> tuple[MultiFernet, Fernet]:
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    if not keys:
        raise ContentKeyMissing("CONTENT_ENCRYPTION_KEY is not set")
    try:
        fernets = [Fernet(key) for key in keys]
    except ValueError:
        # The message names the variable, never the value.
        raise ContentKeyMissing(
            "CONTENT_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 bytes), comma-separated"
        ) from None
    return MultiFernet(fernets), fernets[0]


def content_keys_check() -> None:
    """Raise ContentKeyMissing unless the configured keys are usable."""
    _ciphers(settings.CONTENT_ENCRYPTION_KEY)


def content_encrypt(text: str) -> str:
    """Encrypt under the newest key."""
    _, newest = _ciphers(settings.CONTENT_ENCRYPTION_KEY)
    return newest.encrypt(text.encode()).decode()


def content_decrypt(token: str) -> str:
    every_key, _ = _ciphers(settings.CONTENT_ENCRYPTION_KEY)
    try:
        return every_key.decrypt(token.encode()).decode()
    except InvalidToken:
        raise ContentUnreadable(
            "a stored text can't be decrypted with the keys in CONTENT_ENCRYPTION_KEY"
        ) from None


def content_reencrypt(token: str) -> str | None:
    """The token under the newest key, or None when it is under the newest key already."""
    every_key, newest = _ciphers(settings.CONTENT_ENCRYPTION_KEY)
    try:
        newest.decrypt(token.encode())
    except InvalidToken:
        pass
    else:
        return None
    try:
        return every_key.rotate(token.encode()).decode()
    except InvalidToken:
        raise ContentUnreadable(
            "a stored text can't be decrypted with the keys in CONTENT_ENCRYPTION_KEY"
        ) from None


class EmptyOnlyExact(Exact):
    """`field=""`, in a filter, a Q or a constraint; a comparison with any other text is refused."""

    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            field = self.lhs.output_field
            raise FieldError(
                f"{field.model.__name__}.{field.name} is encrypted: "
                "it can only be compared with the empty string"
            )
        return super().get_prep_lookup()


class EncryptedTextField(models.TextField):
    """A TextField stored as ciphertext under CONTENT_ENCRYPTION_KEY; Python sees plain str.

    max_length limits the plain text, as for any TextField: forms keep their
    limit, and full_clean() checks it too. The column itself is unbounded text,
    since ciphertext is about a third longer than the text plus 100 characters.
    """

    ALLOWED_LOOKUPS = ("exact", "isnull")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return content_encrypt(value)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return content_decrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return EmptyOnlyExact
        if lookup_name in self.ALLOWED_LOOKUPS:
            return super().get_lookup(lookup_name)
        return None

    def get_transform(self, lookup_name):
        return None


def encrypted_fields() -> Iterator[tuple[type[models.Model], EncryptedTextField]]:
    """Every (model, field) of the installed apps whose column holds ciphertext."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field


def column_rewrite(
    model,
    field_name: str,
    change: Callable[[str], str | None],
    *,
    using: str = "default",
    batch_size: int = REWRITE_BATCH_SIZE,
) -> int:
    """Rewrite one text column in batches, straight in SQL; return how many rows changed.

    change(stored) returns the new stored value, or None to leave the row; empty
    and NULL values are left as they are. It works on the raw column, so it
    suits migrations (historical models) and append-only models alike, and it
    writes no timestamps. Each batch is one transaction whose rows are locked
    (SELECT ... FOR UPDATE where the database has it; SQLite's writer lock
    otherwise), so a text edited meanwhile is never overwritten with its old
    value; a run that stops half-way can simply be started again.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = quote(model._meta.pk.column)
    column = quote(model._meta.get_field(field_name).column)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    after = None
    changed = 0
    while True:
        where = "" if after is None else f"WHERE {pk} > %s "
        params = [] if after is None else [after]
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {pk}, {column} FROM {table} {where}ORDER BY {pk} LIMIT %s{lock}",  # noqa: S608 - names from _meta
                [*params, batch_size],
            )
            rows = cursor.fetchall()
            updates = [(new, key) for key, stored in rows if stored and (new := change(stored))]
            if updates:
                cursor.executemany(
                    f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608 - names from _meta
                    updates,
                )
        changed += len(updates)
        if len(rows) < batch_size:
            return changed
        after = rows[-1][0]


def encrypt_if_plain(stored: str) -> str | None:
    """For the migration that encrypts existing rows: leave a row it already encrypted."""
    try:
        content_decrypt(stored)
    except ContentUnreadable:
        return content_encrypt(stored)
    return None


def decrypt_if_encrypted(stored: str) -> str | None:
    """For that migration run backwards: plain text again, where the keys can read it."""
    try:
        return content_decrypt(stored)
    except ContentUnreadable:
        return None


def encrypt_existing_rows(*fields: tuple[str, str, str]) -> Callable:
    """RunPython code that encrypts the plain text already in these (app, model, field) columns."""

    def forward(apps, schema_editor):
        for app_label, model_name, field_name in fields:
            model = apps.get_model(app_label, model_name)
            column_rewrite(
                model, field_name, encrypt_if_plain, using=schema_editor.connection.alias
            )

    return forward


def decrypt_existing_rows(*fields: tuple[str, str, str]) -> Callable:
    """RunPython code that turns these columns back into plain text."""

    def backward(apps, schema_editor):
        for app_label, model_name, field_name in fields:
            model = apps.get_model(app_label, model_name)
            column_rewrite(
                model, field_name, decrypt_if_encrypted, using=schema_editor.connection.alias
            )

    return backward
