"""Dramatiq's Redis broker, with idle consumers woken by a push instead of a poll.

Everything Dramatiq stores stays as it is (message format, queues, ack sets,
heartbeats, dead letters, delay queues), so plain Dramatiq producers and
workers share queues with this broker in both directions. Two operations
change: an enqueue also leaves a wake-up token (see ``engine``), and a
consumer with nothing to fetch blocks on that token instead of sleeping
through Dramatiq's back-off (see ``consumer``). Ack, nack, requeue,
purge and the maintenance pass that redelivers dead workers' messages run
Dramatiq's own ``dispatch.lua``. ``enqueue_many`` sends a batch of messages
in one round trip per ``BULK_CHUNK``, with every enqueue hook still run per
message (see ``batch``). A fetch returns each payload with its redis id, so
a payload no worker can read is dead-lettered at once (``bury``, see
``consumer``), and carries the acks a busy consumer noted since its last one.
Hooks are emitted to the middleware that define them only, less those that
ignore the message's actor (see ``hooks``). A middleware may fold its own
Redis work into a message's enqueue script (see ``guard``): a unique job's
lock and its send are one round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import uuid4

import dramatiq.brokers.redis
import redis
from dramatiq.common import current_millis, dq_name
from dramatiq.middleware import MiddlewareError
from redis.commands.core import Script

from ..kernel.lua import run_scripts

from .batch import after_enqueue_all, before_enqueue_all
from .consumer import PushConsumer
from .engine import PushQueues
from .guard import EnqueueGuard
from .hooks import MESSAGE_SIGNALS, listeners, listeners_for_actor
from .waiter import Waiter

#: How long (ms) an idle consumer blocks before it polls its queue anyway:
#: one pop and one fetch per interval stay under the ~1.4 fetches per second
#: that Dramatiq's idle back-off makes, and bound the wait for messages that
#: came without a token (plain Dramatiq producers during a rolling deploy).
DEFAULT_POLL_INTERVAL = 2000

#: Most messages one enqueue script call carries: Lua's unpack() takes a few thousand values at most.
BULK_CHUNK = 1000


class RedisBroker(dramatiq.brokers.redis.RedisBroker):
    """A Dramatiq Redis broker whose idle consumers start a job as soon as it is enqueued.

    Takes every argument of Dramatiq's ``RedisBroker`` plus ``poll_interval``
    (ms, see ``DEFAULT_POLL_INTERVAL``), at most a quarter of
    ``heartbeat_timeout`` so an idle worker's heartbeat never goes stale.
    Needs Redis >= 6.2 (``LPOP`` with a count, fractional ``BLPOP`` timeouts).
    """

    def __init__(self, *, poll_interval: int = DEFAULT_POLL_INTERVAL, **options: Any) -> None:
        super().__init__(**options)  # type: ignore[no-untyped-call]  # unannotated in Dramatiq's RedisBroker
        ceiling = self.heartbeat_timeout // 4
        if isinstance(poll_interval, bool) or not isinstance(poll_interval, int) or not 0 < poll_interval <= ceiling:
            raise ValueError(f"poll_interval must be an int of milliseconds in 1..{ceiling}, got {poll_interval!r}.")
        self.poll_interval = poll_interval
        self.push = PushQueues(self.client, self.namespace)
        # Guards handed over by before_enqueue hooks, by redis message id, until the send.
        self._guards: dict[str, EnqueueGuard] = {}

    def emit_before(self, signal: str, *args: Any, **kwargs: Any) -> None:
        """Call ``before_<signal>`` as Dramatiq does, on the middleware that define it only."""
        hook = "before_" + signal
        for middleware in self._listeners(signal, hook, args):
            try:
                getattr(middleware, hook)(self, *args, **kwargs)
            except MiddlewareError:
                raise
            except Exception:
                self.logger.critical("Unexpected failure in %s of %r.", hook, middleware, exc_info=True)

    def emit_after(self, signal: str, *args: Any, **kwargs: Any) -> None:
        """Call ``after_<signal>`` as Dramatiq does (in reverse order), on the middleware that define it only."""
        hook = "after_" + signal
        for middleware in reversed(self._listeners(signal, hook, args)):
            try:
                getattr(middleware, hook)(self, *args, **kwargs)
            except Exception:
                self.logger.critical("Unexpected failure in %s of %r.", hook, middleware, exc_info=True)

    def _listeners(self, signal: str, hook: str, args: tuple[Any, ...]) -> tuple[dramatiq.Middleware, ...]:
        if signal in MESSAGE_SIGNALS and args:
            return listeners_for_actor(self.middleware, hook, self.actors.get(args[0].actor_name))
        return listeners(self.middleware, hook)

    def shares_redis(self, client: redis.Redis) -> bool:
        """Tell whether ``client`` talks to this broker's Redis database, so one script may touch both's keys."""
        if client is self.client:
            return True
        mine, theirs = self.client.connection_pool.connection_kwargs, client.connection_pool.connection_kwargs
        where = ("host", "port", "path", "db")
        return all(mine.get(name) == theirs.get(name) for name in where)

    def guard_enqueue(self, message: dramatiq.Message[Any], guard: EnqueueGuard) -> None:
        """Send ``message`` (being enqueued now) through ``guard``'s script; for ``before_enqueue`` hooks."""
        self._guards[message.options["redis_message_id"]] = guard

    def enqueue(self, message: dramatiq.Message[Any], *, delay: int | None = None) -> dramatiq.Message[Any]:
        """Enqueue ``message`` as Dramatiq does, through the guard a middleware set on it, if any."""
        options: dict[str, Any] = {"redis_message_id": str(uuid4())}
        if delay is not None:
            options["eta"] = current_millis() + delay
            message = message.copy(queue_name=dq_name(message.queue_name), options=options)
        else:
            message = message.copy(options=options)
        redis_id = options["redis_message_id"]
        try:
            self.emit_before("enqueue", message, delay)
        finally:
            guard = self._guards.pop(redis_id, None)
        if guard is None:
            self.do_enqueue(message.queue_name, redis_id, message.encode())
        else:
            self._send_guarded(message, guard)
        self.emit_after("enqueue", message, delay)
        return message

    def _send_guarded(self, message: dramatiq.Message[Any], guard: EnqueueGuard) -> None:
        redis_id = message.options["redis_message_id"]
        keys, args = self.push.enqueue_call(message.queue_name, redis_id, message.encode(), broker_id=self.broker_id, now_ms=current_millis())
        script, keys, args = guard.call(keys, args)
        try:
            reply = script(keys=keys, args=args)
        except redis.RedisError as error:
            guard.failed(error)
            raise
        guard.settle(reply)

    @property
    def consumer_class(self) -> type[PushConsumer]:
        return PushConsumer

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 5000) -> PushConsumer:
        """Return a consumer of ``queue_name`` that blocks for wake-ups when idle."""
        return PushConsumer(self, queue_name, prefetch, timeout)

    def do_enqueue(self, queue_name: str, message_id: str, payload: bytes) -> None:
        """Append an encoded message to ``queue_name`` and wake one idle consumer."""
        if self._should_do_maintenance("enqueue"):
            self._dramatiq_dispatch("enqueue", queue_name, message_id, payload)
            self.push.wake(queue_name)
            return
        self.push.enqueue(queue_name, message_id, payload, broker_id=self.broker_id, now_ms=current_millis())

    def enqueue_many(
        self, messages: Sequence[dramatiq.Message[Any]], *, delay: int | None = None, drop: tuple[type[Exception], ...] = ()
    ) -> list[dramatiq.Message[Any] | None]:
        """Enqueue ``messages`` as ``enqueue`` does one by one, in one round trip per ``BULK_CHUNK``.

        Returns the enqueued copies in the order given, with ``None`` for each
        message that a ``before_enqueue`` veto of a type in ``drop`` dropped.
        Any other veto is raised before anything is sent. If Redis fails
        part way, the chunks sent before the failure stay sent.
        """
        copies = []
        for message in messages:
            options: dict[str, Any] = {"redis_message_id": str(uuid4())}
            if delay is not None:
                options["eta"] = current_millis() + delay
                copies.append(message.copy(queue_name=dq_name(message.queue_name), options=options))
            else:
                copies.append(message.copy(options=options))
        try:
            kept = before_enqueue_all(self, copies, delay, drop=drop)
        finally:
            handed = ((copy.options["redis_message_id"], self._guards.pop(copy.options["redis_message_id"], None)) for copy in copies)
            guards = {redis_id: guard for redis_id, guard in handed if guard is not None}
        live = [index for index, message in enumerate(kept) if message is not None]
        for start in range(0, len(live), BULK_CHUNK):
            chunk = live[start : start + BULK_CHUNK]
            refused = self._send_chunk([kept[index] for index in chunk], guards, drop)  # type: ignore[misc]
            for index in chunk:
                if kept[index] is not None and kept[index].options["redis_message_id"] in refused:  # type: ignore[union-attr]
                    kept[index] = None
        after_enqueue_all(self, [message for message in kept if message is not None], delay)
        return kept

    def _send_chunk(self, messages: list[dramatiq.Message[Any]], guards: dict[str, EnqueueGuard], drop: tuple[type[Exception], ...]) -> set[str]:
        """Send ``messages`` in one round trip; return the redis ids of those their guard refused."""
        by_queue: dict[str, list[tuple[str, bytes]]] = {}
        guarded: list[tuple[str, EnqueueGuard, tuple[Script, list[Any], list[Any]]]] = []
        for message in messages:
            redis_id = message.options["redis_message_id"]
            guard = guards.get(redis_id)
            if guard is None:
                by_queue.setdefault(message.queue_name, []).append((redis_id, message.encode()))
                continue
            keys, args = self.push.enqueue_call(message.queue_name, redis_id, message.encode(), broker_id=self.broker_id, now_ms=current_millis())
            guarded.append((redis_id, guard, guard.call(keys, args)))
        if by_queue and self._should_do_maintenance("enqueue"):
            # Dramatiq's odds of a maintenance pass, drawn once per chunk instead of per message.
            queue_name, pairs = next(iter(by_queue.items()))
            self._dramatiq_dispatch("enqueue", queue_name, *pairs.pop(0))
            if not pairs:
                self.push.wake(queue_name)
        calls = self.push.enqueue_many_calls(list(by_queue.items()), broker_id=self.broker_id, now_ms=current_millis())
        try:
            replies = run_scripts(self.client, [*calls, *(call for _, _, call in guarded)])
        except redis.RedisError as error:
            for _, guard, _ in guarded:
                guard.failed(error)
            raise
        refused = set()
        for (redis_id, guard, _), reply in zip(guarded, replies[len(calls) :], strict=True):
            try:
                guard.settle(reply)
            except drop:
                refused.add(redis_id)
        return refused

    def do_fetch(self, queue_name: str, count: int, acked: Sequence[str] = ()) -> list[bytes | None]:
        """Ack the ids of ``acked``, then take up to ``count`` messages into this broker's ack set, waking another consumer if more wait."""
        return [payload for _, payload in self.fetch_with_ids(queue_name, count, acked)]

    def fetch_with_ids(self, queue_name: str, count: int, acked: Sequence[str] = ()) -> list[tuple[str, bytes | None]]:
        """As ``do_fetch``, with each payload's redis message id, so even a payload no one can read can be acked."""
        count = max(1, min(count, self._max_unpack_size()))  # type: ignore[no-untyped-call]  # unannotated in Dramatiq's RedisBroker
        if self._should_do_maintenance("fetch"):
            # Dramatiq's maintenance pass alone: a requeue of no message changes nothing else.
            self._dramatiq_dispatch("requeue", queue_name)
        return self.push.fetch(queue_name, count, broker_id=self.broker_id, now_ms=current_millis(), acked=acked)

    def do_ack_many(self, queue_name: str, acked: Sequence[str]) -> None:
        """Ack the ids of ``acked``, each as Dramatiq's ``do_ack`` does, in one round trip."""
        self.push.fetch(queue_name, 0, broker_id=self.broker_id, now_ms=current_millis(), acked=acked)

    def bury(self, queue_name: str, redis_id: str, payload: bytes) -> bool:
        """Dead-letter a fetched message that no worker can read, keeping ``payload`` (its capped bytes)."""
        return self.push.bury(queue_name, redis_id, payload, broker_id=self.broker_id, now_ms=current_millis())

    def do_requeue(self, queue_name: str, *message_ids: str) -> None:
        """Put unprocessed messages back, as Dramatiq does, and wake a consumer for them."""
        self._dispatch("requeue")(queue_name, *message_ids)  # type: ignore[no-untyped-call]  # unannotated in Dramatiq's RedisBroker
        self.push.wake(queue_name)

    def wake(self, queue_name: str) -> bool:
        """Wake an idle consumer of ``queue_name`` if it holds messages; for tools that move messages in."""
        return self.push.wake(queue_name)

    def waiter(self, queue_name: str) -> Waiter:
        """Return a waiter for ``queue_name``'s wake-ups, on a new connection outside the pool."""
        pool = self.client.connection_pool
        connection = pool.connection_class(**pool.connection_kwargs)
        return Waiter(connection, self.push.wakeup_key(queue_name), block_seconds=self.poll_interval / 1000)

    def _dramatiq_dispatch(self, command: str, queue_name: str, *args: Any) -> Any:
        # Dramatiq's own script with its maintenance pass forced on: the chance
        # was already drawn by the caller, with Dramatiq's odds.
        return self.scripts["dispatch"](
            keys=[self.namespace],
            args=[
                command,
                current_millis(),
                queue_name,
                self.broker_id,
                self.heartbeat_timeout,
                self.dead_message_ttl,
                1,
                self._max_unpack_size(),  # type: ignore[no-untyped-call]  # unannotated in Dramatiq's RedisBroker
                *args,
            ],
        )
