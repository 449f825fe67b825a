"""The example project with one every-second periodic entry, for bench/periodic.py.

``BENCH_LEADER`` (JSON) overrides ``SCALEJOBS["LEADER"]``; the entry sends to
a queue no benchmark worker consumes, so every message stays to be counted.
"""

import json
import os

from example_project.settings import *  # noqa: F403

SHOP_TOUR = False  # the demo's extra jobs stay out of the benchmark

LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
SCALEJOBS = {
    "LEADER": json.loads(os.environ.get("BENCH_LEADER", "{}")),
    "PERIODIC": {
        "ENTRIES": {"beat": {"job": "example_project.shop.tasks.noop", "every": 1, "queue": "periodic-probe"}},
    },
}
