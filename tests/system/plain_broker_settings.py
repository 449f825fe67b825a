"""Test settings on Dramatiq's own Redis broker: the old workers of a rolling deploy."""

from tests.settings import *  # noqa: F403
from tests.settings import DRAMATIQ_BROKER

DRAMATIQ_BROKER = {**DRAMATIQ_BROKER, "BROKER": "dramatiq.brokers.redis.RedisBroker"}
