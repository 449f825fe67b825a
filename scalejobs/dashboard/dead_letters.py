"""Browse, retry and delete Dramatiq's dead letters, and keep each one's final failure.

Dramatiq moves a failed message's stored payload to its dead letters as it
was enqueued, so the payload carries at best the traceback of the attempt
*before* the last. The final error is recorded as the message is
dead-lettered (``scalejobs.kernel.dead_letters``), expiring with it.

Pages read a range of the dead-letter zset (newest first). A filtered page
reads ranges until it has a page of matches or has read ``SCAN_LIMIT``
entries, and hands back where to continue. Bulk actions walk the whole
queue in chunks, each chunk moved by one Lua call.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import cast

import redis

from ..clock import Clock
from ..kernel.dead_letters import DeadLetterFailures, Failure
from ..kernel.lua import load_script
from ..kernel.replies import text
from . import payloads
from .keys import DashboardKeys
from .values import DeadLetter, DeadLetterFilter, Listing

# Dead letters read per round trip when filtering or acting in bulk.
CHUNK = 250
# Entries a filtered page reads at most before handing back a cursor.
SCAN_LIMIT = 2_500

# (redis id, dead-letter time in ms) pairs, as ZRANGE ... WITHSCORES answers.
Entries = Sequence[tuple[bytes | str, float]]


class DeadLetterStore:
    """The dead-letter queues of Dramatiq, with the failures that filled them."""

    def __init__(self, client: redis.Redis, keys: DashboardKeys, clock: Clock) -> None:
        self.client = client
        self.keys = keys
        self.clock = clock
        self.failures = DeadLetterFailures(client, keys.space)
        self._revive = load_script(client, __package__, "revive")

    def count(self, queue: str) -> int:
        """Return how many messages of ``queue`` are dead-lettered."""
        return int(self.client.zcard(self.keys.dramatiq.dead(queue)))

    def page(
        self, queue: str, *, start: int = 0, count: int = 50, match: DeadLetterFilter = DeadLetterFilter()
    ) -> Listing[DeadLetter]:
        """Return up to ``count`` dead letters matching ``match``, newest first, from rank ``start``."""
        total = self.count(queue)
        if match.is_empty:
            letters = self._letters(queue, start, start + count - 1)
            following = start + count
            return Listing(items=tuple(letters), total=total, next_cursor=str(following) if following < total else None)
        found: list[DeadLetter] = []
        rank = start
        while rank < total and rank - start < SCAN_LIMIT and len(found) < count:
            letters = self._letters(queue, rank, rank + CHUNK - 1)
            for offset, letter in enumerate(letters, start=1):
                if match.matches(letter):
                    found.append(letter)
                    if len(found) == count:
                        rank += offset
                        break
            else:
                rank += CHUNK
        return Listing(items=tuple(found), total=total, next_cursor=str(rank) if rank < total else None)

    def message_ids(self, queue: str, redis_ids: Sequence[str]) -> list[str]:
        """Return the message id of each given dead letter, as the pages show it (a redis id for an unreadable one)."""
        raws = self.client.hmget(self.keys.dramatiq.dead_messages(queue), list(redis_ids)) if redis_ids else []
        named = [payloads.parse(redis_id, raw, queue) for redis_id, raw in zip(redis_ids, raws)]
        return [message.message_id if message and message.message_id else f"(unreadable {redis_id})" for redis_id, message in zip(redis_ids, named)]

    def retry(self, queue: str, redis_ids: Sequence[str]) -> int:
        """Move the given dead letters back to their ready queue; return how many moved (never an unreadable one)."""
        raws = self.client.hmget(self.keys.dramatiq.dead_messages(queue), list(redis_ids)) if redis_ids else []
        return self._move(queue, [(redis_id, raw) for redis_id, raw in zip(redis_ids, raws) if raw is not None and _readable(redis_id, raw, queue)])

    def delete(self, queue: str, redis_ids: Sequence[str]) -> int:
        """Delete the given dead letters and their failures; return how many were dead."""
        if not redis_ids:
            return 0
        with self.client.pipeline(transaction=True) as pipe:
            pipe.zrem(self.keys.dramatiq.dead(queue), *redis_ids)
            pipe.hdel(self.keys.dramatiq.dead_messages(queue), *redis_ids)
            pipe.delete(*(self.failures.key(redis_id) for redis_id in redis_ids))
            removed, _, _ = pipe.execute()
        return int(removed)

    def retry_matching(self, queue: str, match: DeadLetterFilter) -> int:
        """Retry every dead letter of ``queue`` that ``match`` passes, oldest first."""
        moved = 0
        for loaded in self._chunks(queue):
            moved += self._move(
                queue, [(letter.message.redis_id, raw) for letter, raw in loaded if match.matches(letter) and not letter.message.problem]
            )
        return moved

    def delete_matching(self, queue: str, match: DeadLetterFilter) -> int:
        """Delete every dead letter of ``queue`` that ``match`` passes."""
        deleted = 0
        for loaded in self._chunks(queue):
            deleted += self.delete(queue, [letter.message.redis_id for letter, _ in loaded if match.matches(letter)])
        return deleted

    def record_failure(self, redis_id: str, failure: Failure, *, ttl_ms: int) -> None:
        """Keep why ``redis_id`` was dead-lettered, for as long as Dramatiq keeps the letter."""
        self.failures.record(redis_id, failure, ttl_ms=ttl_ms)

    def _letters(self, queue: str, first: int, last: int) -> list[DeadLetter]:
        entries = cast(Entries, self.client.zrevrange(self.keys.dramatiq.dead(queue), first, last, withscores=True))
        return [letter for letter, _ in self._load(queue, entries)]

    def _chunks(self, queue: str) -> Iterator[list[tuple[DeadLetter, bytes | str]]]:
        ids = cast(Entries, self.client.zrange(self.keys.dramatiq.dead(queue), 0, -1, withscores=True))
        for index in range(0, len(ids), CHUNK):
            yield self._load(queue, ids[index : index + CHUNK])

    def _load(self, queue: str, entries: Entries) -> list[tuple[DeadLetter, bytes | str]]:
        if not entries:
            return []
        ids = [text(redis_id) for redis_id, _ in entries]
        with self.client.pipeline(transaction=False) as pipe:
            pipe.hmget(self.keys.dramatiq.dead_messages(queue), ids)
            pipe.mget([self.failures.key(redis_id) for redis_id in ids])
            raws, failures = pipe.execute()
        letters = []
        for redis_id, (_, score), raw, failure in zip(ids, entries, raws, failures):
            message = payloads.parse(redis_id, raw, queue) or payloads.corrupt(redis_id, queue, "its payload is missing")
            letter = DeadLetter(message=message, failed_at=min(max(score, 0.0), 1e14) / 1000, failure=self.failures.parse(failure))
            letters.append((letter, raw or b""))
        return letters

    def _move(self, queue: str, found: list[tuple[str, bytes | str]]) -> int:
        if not found:
            return 0
        now_ms = int(self.clock() * 1000)
        args: list[str] = []
        for redis_id, raw in found:
            new_id = str(uuid.uuid4())
            args += [redis_id, new_id, payloads.ready_again(raw, queue=queue, redis_id=new_id, now_ms=now_ms)]
        dramatiq = self.keys.dramatiq
        moved = self._revive(
            keys=[dramatiq.dead(queue), dramatiq.dead_messages(queue), dramatiq.queue(queue), dramatiq.messages(queue)], args=args
        )
        self.failures.forget([redis_id for redis_id, _ in found])
        return int(moved)


def _readable(redis_id: str, raw: bytes | str | None, queue: str) -> bool:
    message = payloads.parse(redis_id, raw, queue)
    return message is not None and not message.problem

