"""Brokers of both kinds on the test Redis, and consumers closed after each test."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import dramatiq
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker as PlainBroker

from scalejobs.dispatch import RedisBroker
from scalejobs.dispatch.consumer import PushConsumer

QUEUE = "work"


@pytest.fixture
def make_broker(redis_db: redis.Redis) -> Iterator[Callable[..., RedisBroker]]:
    """Build push brokers on the test Redis; close their consumers at teardown."""
    consumers: list[PushConsumer] = []

    def make(**options: Any) -> RedisBroker:
        options.setdefault("url", os.environ["REDIS_URL"])
        broker = RedisBroker(middleware=[], **options)
        original = broker.consume

        def consume(queue_name: str, prefetch: int = 1, timeout: int = 5000) -> PushConsumer:
            consumer = original(queue_name, prefetch, timeout)
            consumers.append(consumer)
            return consumer

        broker.consume = consume  # type: ignore[method-assign]
        return broker

    yield make
    for consumer in consumers:
        consumer.close()


@pytest.fixture
def push(make_broker: Callable[..., RedisBroker]) -> RedisBroker:
    return make_broker()


@pytest.fixture
def plain(redis_db: redis.Redis) -> PlainBroker:
    return PlainBroker(url=os.environ["REDIS_URL"], middleware=[])


def message(token: str = "m", queue_name: str = QUEUE) -> dramatiq.Message:
    """Return a message for an actor no process declares; brokers only store it."""
    return dramatiq.Message(queue_name=queue_name, actor_name="dispatch_probe", args=(token,), kwargs={}, options={})
