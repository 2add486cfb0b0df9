"""Encrypt the content already stored as plain text (helpline/crypto.py).

Not atomic: each batch of rows commits on its own, so a large table does not wait in one
transaction, and a run that stops half-way can be started again (rows already encrypted are
left as they are). Backwards, the columns hold plain text again.
"""

from django.db import migrations

from helpline.crypto import decrypt_existing_rows, encrypt_existing_rows

CONTENT_COLUMNS = (
    ("cases", "Case", "summary"),
    ("cases", "CaseNote", "body"),
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0010_encrypted_content"),
    ]

    operations = [
        migrations.RunPython(
            encrypt_existing_rows(*CONTENT_COLUMNS), decrypt_existing_rows(*CONTENT_COLUMNS)
        ),
    ]
