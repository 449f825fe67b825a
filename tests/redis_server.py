"""Pytest plugin: give the whole run one real Redis-protocol server.

Loaded with ``-p tests.redis_server`` so it runs before pytest-django sets
Django up: the broker is built from ``REDIS_URL`` during ``django.setup()``.
``SCALEJOBS_TEST_REDIS_URL`` picks an existing server; otherwise an embedded
Valkey starts on a private socket for this run.
"""

from __future__ import annotations

import os
import tempfile

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    run_dir = tempfile.mkdtemp(prefix="scalejobs-tests-")
    os.environ.setdefault("SCALEJOBS_TEST_SQLITE", os.path.join(run_dir, "test.sqlite3"))
    os.environ["EXPORT_DIR"] = os.path.join(run_dir, "exports")
    url = os.environ.get("SCALEJOBS_TEST_REDIS_URL")
    if not url:
        from scalejobs.embedded_redis import start_embedded_redis

        embedded = start_embedded_redis()
        early_config.add_cleanup(embedded.stop)
        url = embedded.url
    os.environ["REDIS_URL"] = url
