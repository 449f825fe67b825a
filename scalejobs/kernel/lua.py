"""Load each slice's Lua scripts, and run many script calls in one round trip.

Every slice keeps one script per atomic operation in its own ``lua/<name>.lua``
(named by its verb) and loads it here: the text is read once per process, as
UTF-8, through ``importlib.resources`` (so it works from a wheel or a zip), and
registered once per client. Engines import this, not ``store``: it needs
redis-py only.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib import resources
from typing import Any

import redis
from redis.commands.core import Script
from redis.exceptions import NoScriptError

# Registered scripts kept per (client, package, name); a client that falls out
# of the cache only registers its script again, which costs no round trip.
REGISTERED = 128


@functools.cache
def script_source(package: str, name: str) -> str:
    """Return the text of ``lua/<name>.lua`` shipped in ``package`` (a slice's ``__package__``)."""
    return resources.files(package).joinpath("lua", f"{name}.lua").read_text(encoding="utf-8")


def load_script(client: redis.Redis, package: str, name: str) -> Script:
    """Return ``lua/<name>.lua`` of ``package`` registered on ``client``; the same object for the same client."""
    return _registered(client, package, name)


@functools.lru_cache(maxsize=REGISTERED)
def _registered(client: redis.Redis, package: str, name: str) -> Script:
    return client.register_script(script_source(package, name))


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
