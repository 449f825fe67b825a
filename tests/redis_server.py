"""Give the whole test run one real Redis-protocol server.

``SCALEJOBS_TEST_REDIS_URL`` picks an existing server; otherwise an embedded
Valkey starts on a private socket for this run, and ``REDIS_URL`` is
exported so worker subprocesses started by the tests reach the same one.
Called from ``tests/settings.py``: the broker is built from ``REDIS_URL``
during ``django.setup()``, so the server must exist before that.
"""

from __future__ import annotations

import atexit
import os
import tempfile


def provide_test_environment() -> None:
    """Set ``REDIS_URL`` and the per-run paths, starting Valkey if needed."""
    if os.environ.get("SCALEJOBS_WORKER_OF_TESTS"):
        return  # A worker started by a test inherits its parent's environment.
    run_dir = tempfile.mkdtemp(prefix="scalejobs-tests-")
    os.environ["SCALEJOBS_TEST_SQLITE"] = os.path.join(run_dir, "test.sqlite3")
    os.environ["EXPORT_DIR"] = os.path.join(run_dir, "exports")
    url = os.environ.get("SCALEJOBS_TEST_REDIS_URL")
    if not url:
        from scalejobs.testing.embedded_redis import start_embedded_redis

        embedded = start_embedded_redis()
        atexit.register(embedded.close)
        url = embedded.url
    os.environ["REDIS_URL"] = url
