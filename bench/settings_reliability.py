"""The unique/throttle benchmark's settings, with the poison-message guard on or off by ``$BENCH_MAX_DEATHS``."""

import json
import os

from bench.settings_unique_throttle import *  # noqa: F403

SCALEJOBS = {
    **SCALEJOBS,  # noqa: F405
    "RELIABILITY": {"MAX_DEATHS": json.loads(os.environ.get("BENCH_MAX_DEATHS", "3"))},
}
