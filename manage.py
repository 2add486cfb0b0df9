#!/usr/bin/env python
import base64
import os
import secrets
import sys

# Commands that only read the code: they neither serve, sign nor store anything
# that a key protects, so a developer can run them on a fresh checkout. Every
# other command still refuses to start without SECRET_KEY or CONTENT_ENCRYPTION_KEY
# when DEBUG is off.
OFFLINE_COMMANDS = {"makemigrations", "makemessages", "compilemessages", "help"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    if command in OFFLINE_COMMANDS:
        # Throwaway keys that die with the process.
        throwaway = {
            "SECRET_KEY": secrets.token_urlsafe(50),
            "CONTENT_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        }
        for name, key in throwaway.items():
            if not os.environ.get(name):
                os.environ[name] = key
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
