"""Hand out the Redis client that every engine coordinates through.

By default scalejobs shares the Dramatiq broker's Redis; ``SCALEJOBS
["REDIS_URL"]`` points it elsewhere. The client is built once per process.
"""

from __future__ import annotations

import functools

import dramatiq
import redis

from .conf import get_settings
from .errors import ConfigurationError
from .keys import KeySpace

# Fail fast instead of hanging a web request when Redis is away.
SOCKET_TIMEOUT = 5.0


@functools.cache
def redis_client() -> redis.Redis:
    """Return the shared Redis client (bytes in, bytes out)."""
    url = get_settings().redis_url
    if url is not None:
        return redis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT)
    client = getattr(dramatiq.get_broker(), "client", None)
    if not isinstance(client, redis.Redis):
        raise ConfigurationError(
            "SCALEJOBS['REDIS_URL']",
            "is not set and the Dramatiq broker is not a Redis broker.",
            "Set SCALEJOBS['REDIS_URL'] to the Redis that scalejobs should coordinate through.",
        )
    return client


def broker_client(broker: dramatiq.Broker, *, needs: str) -> redis.Redis:
    """Return ``broker``'s Redis client; ``needs`` says what wants it, for the error of a non-Redis broker."""
    client = getattr(broker, "client", None)
    if not isinstance(client, redis.Redis):
        raise ConfigurationError(
            "DRAMATIQ_BROKER['BROKER']",
            f"is {type(broker).__name__}, and {needs} works on the keys of a Redis broker.",
            "Use scalejobs.dispatch.RedisBroker or dramatiq.brokers.redis.RedisBroker.",
        )
    return client


def keyspace(slice_name: str) -> KeySpace:
    """Return the key namespace of ``slice_name`` under the configured prefix."""
    return KeySpace(get_settings().key_prefix, slice_name)


def reset() -> None:
    """Drop the cached client, e.g. after settings change."""
    redis_client.cache_clear()
