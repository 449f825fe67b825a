"""The example project for the protection benchmark.

``$BENCH_PROTECTION`` is ``"on"`` (DEFAULT_STACK, protection on through the
ECS variables the benchmark passes, 2 s idle grace) or ``"off"``
(DEFAULT_STACK without ECSProtection).
"""

import os

from example_project.settings import *  # noqa: F403

SHOP_TOUR = False  # the demo's extra jobs stay out of the benchmark
from example_project.settings import DRAMATIQ_BROKER, SCALEJOBS

LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

if os.environ.get("BENCH_PROTECTION") == "off":
    DRAMATIQ_BROKER = {
        **DRAMATIQ_BROKER,
        "MIDDLEWARE": [path for path in DRAMATIQ_BROKER["MIDDLEWARE"] if not path.endswith(".ECSProtection")],
    }
    SCALEJOBS = {**SCALEJOBS, "PROTECTION": {"ENABLED": False}}
else:
    SCALEJOBS = {**SCALEJOBS, "PROTECTION": {"ENABLED": True, "IDLE_GRACE_SECONDS": 2.0, "TICK_SECONDS": 0.5}}
