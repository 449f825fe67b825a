"""Worker settings for the reliability system tests and the chaos suite.

``$SCALEJOBS_TEST_BROKER`` picks the broker (``dispatch``, the default, or
``plain`` for Dramatiq's own) and ``$SCALEJOBS_TEST_HEARTBEAT_MS`` shortens
the broker's heartbeat timeout so a dead worker is noticed in seconds; the
SCALEJOBS sections come from ``$SCALEJOBS_TEST_OVERRIDES`` (tests/settings.py).
"""

import os

from tests.settings import *  # noqa: F403
from tests.settings import DRAMATIQ_BROKER

_heartbeat = int(os.environ.get("SCALEJOBS_TEST_HEARTBEAT_MS", "60000"))
_options = {**DRAMATIQ_BROKER["OPTIONS"], "heartbeat_timeout": _heartbeat}
if os.environ.get("SCALEJOBS_TEST_BROKER") == "plain":
    DRAMATIQ_BROKER = {**DRAMATIQ_BROKER, "BROKER": "dramatiq.brokers.redis.RedisBroker", "OPTIONS": _options}
else:
    # The dispatch broker polls at most every quarter of the heartbeat timeout.
    DRAMATIQ_BROKER = {**DRAMATIQ_BROKER, "OPTIONS": {**_options, "poll_interval": min(2000, _heartbeat // 4)}}
