#!/usr/bin/env python
import os
import secrets
import sys

# Commands that only read the code: they neither serve, sign nor store anything
# that a key protects, so a developer can run them on a fresh checkout. Every
# other command still refuses to start without SECRET_KEY when DEBUG is off.
OFFLINE_COMMANDS = {"makemigrations", "makemessages", "compilemessages", "help"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    if command in OFFLINE_COMMANDS and not os.environ.get("SECRET_KEY"):
        # A throwaway key that dies with the process.
        os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
