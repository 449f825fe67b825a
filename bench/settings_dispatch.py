"""Settings of the dispatch benchmark's Dramatiq workers: the baseline, with a broker picked by ``BENCH_BROKER``.

``plain`` keeps Dramatiq's own Redis broker, ``push`` swaps in
``scalejobs.dispatch.RedisBroker``; the middleware (Dramatiq's defaults)
is the same, so only the broker differs. The benchmark's jobs live in
``bench/dispatch_jobs.py``.
"""

import os

from bench.settings_plain import *  # noqa: F403
from bench.settings_plain import DRAMATIQ_BROKER, INSTALLED_APPS

BROKERS = {"plain": "dramatiq.brokers.redis.RedisBroker", "push": "scalejobs.dispatch.RedisBroker"}

DRAMATIQ_BROKER = {**DRAMATIQ_BROKER, "BROKER": BROKERS[os.environ.get("BENCH_BROKER", "plain")]}
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
DRAMATIQ_AUTODISCOVER_MODULES = ("tasks", "dispatch_jobs")
# The baseline runs Dramatiq's default middleware on purpose; scalejobs' checks flag the missing pieces.
SILENCED_SYSTEM_CHECKS = ["scalejobs.E707", "scalejobs.W201", "scalejobs.W601"]
