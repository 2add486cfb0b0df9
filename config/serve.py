"""Serve the helpline with daphne, keeping no access log: `python -m config.serve [daphne options]`.

Every way this project starts its web server goes through here: `make run`, the
production command in docs/operations.md, and the live server of the tests.

Left to its defaults (verbosity 1), daphne's command line writes an access log
to stdout: for every request and every WebSocket, the client's address and
port, the time, and the path with its query string. For the youth chat that
is a list of when which address talked to the helpline, which the helpline
promises not to keep. That log is not a logging logger that settings could
quieten: daphne.cli hands its server an AccessLogGenerator bound to stdout
whenever verbosity is 1 or more, or when --access-log names a file.
Verbosity 0 is the only switch that turns it off; it also sends Twisted's own
log nowhere. The application's logging is Django's LOGGING, which is
configured when the application loads and keeps daphne's loggers at INFO at
most (their DEBUG lines name client addresses).
"""

import sys

from daphne.cli import CommandLineInterface

APPLICATION = "config.asgi:application"
# Placed after the caller's options: argparse keeps the last value, so a -v 1
# given by hand cannot bring the access log back.
NO_ACCESS_LOG = ["--verbosity", "0"]


def daphne_arguments(options: list[str]) -> list[str]:
    """daphne's command line for these options, with the access log off."""
    arguments = [*options, *NO_ACCESS_LOG, APPLICATION]
    # daphne's own parser decides, so that an abbreviation (--access) is caught too.
    if CommandLineInterface().parser.parse_args(arguments).access_log is not None:
        raise SystemExit(
            "config.serve: --access-log is refused; the helpline keeps no log of who connected."
        )
    return arguments


def main(options: list[str]) -> None:
    CommandLineInterface().run(daphne_arguments(options))


if __name__ == "__main__":
    main(sys.argv[1:])
