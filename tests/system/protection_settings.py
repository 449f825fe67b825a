"""Worker settings for the protection system tests and the scale-in storm.

``SCALEJOBS["PROTECTION"]`` is the test settings' section updated with the
JSON in ``$SCALEJOBS_TEST_PROTECTION``, so each test tunes its workers;
``$SCALEJOBS_TEST_HEARTBEAT_MS`` shortens the broker's heartbeat timeout
(and with it how long a process stands down after handing a job back);
``$SCALEJOBS_TEST_NAIVE_PROTECTION`` swaps ``ECSProtection`` for the seed's
naive design (``naive_protection``), for the scale-in storm's comparison.
"""

import json
import os

from tests.settings import *  # noqa: F403
from tests.settings import DRAMATIQ_BROKER, SCALEJOBS

SCALEJOBS = {
    **SCALEJOBS,
    "PROTECTION": {**SCALEJOBS.get("PROTECTION", {}), **json.loads(os.environ.get("SCALEJOBS_TEST_PROTECTION", "{}"))},
}

if os.environ.get("SCALEJOBS_TEST_HEARTBEAT_MS"):
    _heartbeat = int(os.environ["SCALEJOBS_TEST_HEARTBEAT_MS"])
    DRAMATIQ_BROKER = {
        **DRAMATIQ_BROKER,
        "OPTIONS": {**DRAMATIQ_BROKER["OPTIONS"], "heartbeat_timeout": _heartbeat, "poll_interval": min(2000, _heartbeat // 4)},
    }

if os.environ.get("SCALEJOBS_TEST_NAIVE_PROTECTION"):
    _stack = [
        "tests.system.naive_protection.NaiveProtection" if name == "scalejobs.middleware.ECSProtection" else name
        for name in DRAMATIQ_BROKER["MIDDLEWARE"]
    ]
    DRAMATIQ_BROKER = {**DRAMATIQ_BROKER, "MIDDLEWARE": _stack}
