"""Run a Lua script many times in one round trip.

Engines import this, not ``store``: it needs redis-py only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis
from redis.commands.core import Script
from redis.exceptions import NoScriptError


def run_script_many(client: redis.Redis, script: Script, calls: Sequence[tuple[Sequence[Any], Sequence[Any]]]) -> list[Any]:
    """Run ``script`` once per ``(keys, args)`` of ``calls``, in order, in one round trip; return the replies.

    See ``run_scripts``.
    """
    return run_scripts(client, [(script, keys, args) for keys, args in calls])


def run_scripts(client: redis.Redis, calls: Sequence[tuple[Script, Sequence[Any], Sequence[Any]]]) -> list[Any]:
    """Run each ``(script, keys, args)`` of ``calls``, in order, in one round trip; return the replies.

    redis-py's pipelines ask ``SCRIPT EXISTS`` before each execute, a second
    round trip; this sends only ``EVALSHA``, and loads the script and sends
    again only the calls that Redis refused with ``NOSCRIPT`` (after a restart
    or a ``SCRIPT FLUSH``), so no call ever runs twice. Raises the first error
    any call returned.
    """
    replies: list[Any] = [None] * len(calls)
    pending = list(range(len(calls)))
    for _ in range(2):
        with client.pipeline(transaction=False) as pipe:
            for index in pending:
                script, keys, args = calls[index]
                pipe.evalsha(script.sha, len(keys), *keys, *args)
            answers = pipe.execute(raise_on_error=False)
        for index, answer in zip(pending, answers, strict=True):
            replies[index] = answer
        pending = [index for index in pending if isinstance(replies[index], NoScriptError)]
        if not pending:
            break
        for script in {calls[index][0] for index in pending}:
            script.sha = client.script_load(script.script)
    for reply in replies:
        if isinstance(reply, Exception):
            raise reply
    return replies
