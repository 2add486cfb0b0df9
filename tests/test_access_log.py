"""The web server keeps no log of who connected: no client address, no path with its query.

The test starts the server with the very command line of the Makefile's `run`
target, visits the youth chat page and opens its socket, then reads everything
the server wrote to stdout and stderr.
"""

import re
import shlex
import sys
import urllib.request
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.live_server import ROOT, live_daphne

pytestmark = pytest.mark.server

# Distinctive enough that finding them in the output can only mean a logged request.
PAGE_QUERY = "from=access-log-test"
SOCKET_QUERY = "lang=vi&probe=access-log-test"


def make_run_server_command() -> list[str]:
    """The line of `make run` that starts the web server, with make's variables filled in."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^run:.*\n((?:\t.*\n?)+)", makefile, re.M)
    assert recipe, "no run target in the Makefile"
    lines = [line.strip() for line in recipe.group(1).splitlines()]
    starts = [line for line in lines if "-p 8000" in line]
    assert len(starts) == 1, starts
    variables = {
        "RUN_ENV": "",  # the environment comes from live_daphne, DEBUG on as in make run
        "BIN": str(Path(sys.executable).parent),
    }
    command = re.sub(r"\$\((\w+)\)", lambda match: variables[match.group(1)], starts[0])
    return shlex.split(command)


# At DEBUG, daphne's own loggers would name every client's address and port.
@pytest.mark.parametrize("log_level", ["INFO", "DEBUG"])
def test_it_keeps_no_client_address_or_query_in_the_server_output(tmp_path, log_level):
    make_run = make_run_server_command()
    port_at = make_run.index("-p") + 1

    def command(port: int) -> list[str]:
        return [*make_run[:port_at], str(port), *make_run[port_at + 1 :]]

    log_path = tmp_path / "server.log"
    with live_daphne(command=command, log_path=log_path, LOG_LEVEL=log_level) as base_url:
        port = base_url.rsplit(":", 1)[1]
        with urllib.request.urlopen(f"{base_url}/chat/?{PAGE_QUERY}", timeout=5) as page:
            assert page.status == 200
        socket_url = f"ws://127.0.0.1:{port}/ws/chat/"
        with connect(socket_url, origin=f"http://127.0.0.1:{port}") as socket:
            socket.send('{"type": "ping"}')
            assert "pong" in socket.recv(timeout=5)
        # The socket's path and query string appear in no log either.
        with connect(f"{socket_url}?{SOCKET_QUERY}", origin=f"http://127.0.0.1:{port}") as socket:
            socket.send('{"type": "ping"}')
            assert "pong" in socket.recv(timeout=5)

    output = log_path.read_text(errors="replace")
    # The server did write to this file: it announced where it listens.
    assert f"127.0.0.1:{port}" in output
    assert "/chat/" not in output
    assert "/ws/chat/" not in output
    assert PAGE_QUERY not in output
    assert "access-log-test" not in output
    # A client address is 127.0.0.1 with the client's own port, never the server's.
    client_addresses = [
        found for found in re.findall(r"127\.0\.0\.1[:, \]']+(\d+)", output) if found != port
    ]
    assert client_addresses == [], output
