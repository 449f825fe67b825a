"""The limiters a job names in ``throttle=``: values, checked when built.

Each limiter counts under a *scope*: its ``key`` (a string, or a callable on
the job's arguments returning one, for per-tenant limits), else the job's
name. Limiters of the same kind, period and scope share one count in Redis,
wherever they are declared: ``Concurrency(5, key="partner-api")`` on two jobs
lets five of them, together, run at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

from ..errors import JobOptionError
from .engine import Claim

Key = str | Callable[..., object] | None
Seconds = int | float | dt.timedelta

# Longest period a limiter accepts (about 30 years): Redis TTLs and Lua numbers must hold it.
MAX_SECONDS = 1e9
# A slot outlives its holder's last renewal by this long, by default.
DEFAULT_LOCK_TIMEOUT = 60.0


def _seconds(owner: str, name: str, value: Any) -> float:
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else value
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds < MAX_SECONDS:
        raise ValueError(f"{owner}: {name} must be a positive, finite number of seconds or a timedelta, got {value!r}.")
    return float(seconds)


def _count(owner: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}.")
    return value


def _key(owner: str, value: Any) -> Key:
    if value is not None and not isinstance(value, str) and not callable(value):
        raise ValueError(f"{owner}: key must be a string, a callable on the job's arguments, or None, got {value!r}.")
    if value == "":
        raise ValueError(f"{owner}: key must not be empty.")
    key: Key = value
    return key


@dataclass(frozen=True, slots=True)
class Limiter:
    """What every limiter has: a capacity, a period, and a scope."""

    kind: ClassVar[str] = ""
    key: Key = field(default=None, kw_only=True)

    @property
    def capacity(self) -> int:
        """Return how many the limiter admits at once (or per period)."""
        raise NotImplementedError

    @property
    def period(self) -> float:
        """Return the limiter's period in seconds (the lock timeout for ``Concurrency``)."""
        raise NotImplementedError

    def claim(self, default: str, args: Sequence[Any] = (), kwargs: Mapping[str, Any] | None = None) -> Claim:
        """Return the place a job with these arguments needs; ``default`` is the scope without a key."""
        if self.key is None:
            scope = default
        elif isinstance(self.key, str):
            scope = self.key
        else:
            scope = str(self.key(*args, **(kwargs or {})))
        return Claim(kind=self.kind, limit=self.capacity, period=self.period, scope=scope)


@dataclass(frozen=True, slots=True)
class Concurrency(Limiter):
    """At most ``limit`` running at once, cluster-wide.

    A slot is owned by its holder and renewed while it runs; a holder that
    dies (SIGKILL, OOM) gives its slot back ``lock_timeout`` seconds later.
    """

    kind: ClassVar[str] = "concurrency"
    limit: int
    lock_timeout: Seconds = field(default=DEFAULT_LOCK_TIMEOUT, kw_only=True)

    def __post_init__(self) -> None:
        _count("Concurrency", "limit", self.limit)
        object.__setattr__(self, "lock_timeout", _seconds("Concurrency", "lock_timeout", self.lock_timeout))
        _key("Concurrency", self.key)

    @property
    def capacity(self) -> int:
        return self.limit

    @property
    def period(self) -> float:
        return cast(float, self.lock_timeout)  # made seconds by __post_init__


class _Rate(Limiter):
    """What the rate limiters share: a count per ``per`` seconds."""

    __slots__ = ()
    per: Seconds

    def __post_init__(self) -> None:
        name = type(self).__name__
        _count(name, self._count_name, self.capacity)
        object.__setattr__(self, "per", _seconds(name, "per", self.per))
        _key(name, self.key)

    _count_name: ClassVar[str] = "limit"

    @property
    def period(self) -> float:
        return cast(float, self.per)  # made seconds by __post_init__


@dataclass(frozen=True, slots=True)
class Bucket(_Rate):
    """At most ``limit`` starts in each fixed window of ``per`` seconds (aligned to the clock)."""

    kind: ClassVar[str] = "bucket"
    limit: int
    per: Seconds

    @property
    def capacity(self) -> int:
        return self.limit


@dataclass(frozen=True, slots=True)
class Window(_Rate):
    """At most ``limit`` starts in any ``per`` seconds (a sliding window)."""

    kind: ClassVar[str] = "window"
    limit: int
    per: Seconds

    @property
    def capacity(self) -> int:
        return self.limit


@dataclass(frozen=True, slots=True)
class Leaky(_Rate):
    """A burst of ``size`` starts, then one every ``per / size`` seconds as the bucket drips."""

    kind: ClassVar[str] = "leaky"
    _count_name: ClassVar[str] = "size"
    size: int
    per: Seconds

    @property
    def capacity(self) -> int:
        return self.size


def throttle_policy(actor_name: str, value: object) -> tuple[Limiter, ...]:
    """Return the limiters ``throttle=`` names; raise ``JobOptionError`` naming the option if it is wrong."""
    if value is None:
        return ()
    limiters = value if isinstance(value, (list, tuple)) else [value]
    if not limiters or not all(isinstance(limiter, Limiter) for limiter in limiters):
        raise JobOptionError(
            f"{actor_name}: throttle must be a limiter (scalejobs.Concurrency, Bucket, Window or Leaky) "
            f"or a list of them, got {value!r}."
        )
    return tuple(limiters)
