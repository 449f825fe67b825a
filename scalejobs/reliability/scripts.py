"""Load the slice's Lua scripts from ``lua/``, one atomic operation per file."""

from __future__ import annotations

import functools
from importlib import resources

import redis
from redis.commands.core import Script


@functools.cache
def _source(name: str) -> str:
    return resources.files(__package__).joinpath("lua", f"{name}.lua").read_text(encoding="utf-8")


def script(client: redis.Redis, name: str) -> Script:
    """Return ``lua/<name>.lua`` registered on ``client``."""
    return client.register_script(_source(name))
