"""Read ``settings.SCALEJOBS`` once into a frozen, validated ``Settings``.

This is the only module that reads ``django.conf.settings``. The user's dict
is merged over the defaults below; ``get_settings()`` builds the result
lazily and the ``setting_changed`` signal (connected in ``AppConfig.ready``)
clears it. Invalid values raise ``ConfigurationError`` naming the setting,
which the system checks turn into ``scalejobs.E001``.

It is longer than our other modules on purpose: every slice's defaults sit
in one commented dict (the README's settings reference is a copy of it,
kept equal by a test), next to the typed section each one becomes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings as django_settings

from .errors import ConfigurationError

T = TypeVar("T")

DEFAULTS: dict[str, Any] = {
    # Redis used for coordination; None means the Dramatiq broker's own client.
    "REDIS_URL": None,
    # First part of every key scalejobs writes, so deployments can share a Redis.
    "KEY_PREFIX": "scalejobs",
    # Whether perform_later inside transaction.atomic() waits for the commit.
    "ON_COMMIT": True,
    "MAIL": {
        # The backend that really delivers, used by QueuedEmailBackend on Django 5.2.
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        # The MAILERS alias that really delivers on Django >= 6.1.
        "USING": None,
        "QUEUE": "default",
        # Messages above this many bytes (after encoding) fail at enqueue.
        "MAX_MESSAGE_BYTES": 5 * 1024 * 1024,
        "MAX_RETRIES": 10,
    },
    "DASHBOARD": {
        # Seconds between worker heartbeats, which publish running jobs, progress and counts.
        "HEARTBEAT_SECONDS": 2.0,
        # A worker silent this long drops off the Workers page (at least twice the heartbeat).
        "WORKER_TIMEOUT_SECONDS": 30.0,
        # Whether workers count processed and failed jobs per minute for the chart.
        "METRICS": True,
        # How long the per-minute counts are kept.
        "METRICS_RETENTION_HOURS": 24,
        # Messages per page in the queue and dead-letter browsers.
        "PAGE_SIZE": 50,
    },
    "LEADER": {
        # How long a lease lasts unrenewed: the longest a crashed leader keeps the post.
        "LEASE_SECONDS": 15.0,
        # Seconds between renewals; a third of the lease, so two may fail before it lapses.
        "RENEW_SECONDS": 5.0,
        # Longest a follower waits between bids; a lapse or a release is noticed sooner.
        "CHECK_SECONDS": 5.0,
    },
    "THROTTLE": {
        # Seconds of a throttled job's first postponement; doubles with each one, plus jitter.
        "BACKOFF": 1.0,
        # Longest postponement in seconds (a limiter that knows its wait, e.g. a bucket, may ask longer).
        "MAX_BACKOFF": 60.0,
        # Postponements after which a still-throttled job falls through to a normal retry, using one.
        "MAX_POSTPONEMENTS": 100,
    },
    "PERIODIC": {
        # Ticks missed while nobody led are enqueued on take-over if at most this old.
        "CATCH_UP_SECONDS": 300.0,
        # Tick records kept per entry for the admin page.
        "HISTORY": 100,
        # Schedules by name: {"job": dotted path, "cron" or "every", "tz", "args", "kwargs", "queue", "enabled"}.
        "ENTRIES": {},
    },
    "PROTECTION": {
        # True, False, or "auto": on when the transport's ECS variable is set ($ECS_AGENT_URI for "agent").
        "ENABLED": "auto",
        # "agent" (the ECS agent endpoint, stdlib HTTP) or "boto3" (the ECS API; pip install 'scalejobs[aws]').
        "TRANSPORT": "agent",
        # Minutes of protection asked for at each enable or renewal (ECS allows 1 to 2880).
        "EXPIRES_MINUTES": 60,
        # Renew once this little protection is left; below EXPIRES_MINUTES * 60.
        "RENEW_BEFORE_SECONDS": 1800.0,
        # Keep protection this long after the last job; a job inside the grace saves two calls.
        "IDLE_GRACE_SECONDS": 30.0,
        # On SIGTERM, how long running jobs may finish before they are handed back; keep below stopTimeout.
        "SHUTDOWN_BUDGET_SECONDS": 25.0,
        # A job this long past its actor's time limit stops holding protection and is reported.
        "STUCK_AFTER_SECONDS": 300.0,
        # How often each worker process publishes its jobs and checks the task's protection.
        "TICK_SECONDS": 2.0,
        # A worker process silent this long is presumed dead and its claims are swept.
        "PROCESS_TIMEOUT_SECONDS": 15.0,
        # Timeouts of one ECS call; a job's start waits at most their sum.
        "CONNECT_TIMEOUT_SECONDS": 1.0,
        "READ_TIMEOUT_SECONDS": 3.0,
        # After a failed call, retry within a random delay up to BACKOFF_SECONDS * 2**n, capped.
        "BACKOFF_SECONDS": 1.0,
        "MAX_BACKOFF_SECONDS": 60.0,
        # After TASK_NOT_VALID, AccessDeniedException or repeated unknown answers, try again this much later.
        "RECHECK_SECONDS": 900.0,
        # Protection changes kept per task for the admin page.
        "HISTORY": 50,
    },
    "RELIABILITY": {
        # Whether the elected leader puts dead workers' unacknowledged messages back on their queues.
        "RECOVER_ORPHANS": True,
        # Seconds between recovery passes for plain Dramatiq workers (judged by the broker's heartbeat_timeout)
        # and for stranded delayed messages.
        "RECOVERY_INTERVAL_SECONDS": 15.0,
        # Seconds between the pulses each worker process sends from a thread of its own.
        "PULSE_SECONDS": 1.0,
        # Seconds of silence after which a worker process is presumed dead and its jobs go back on their queues.
        "SILENCE_SECONDS": 10.0,
        # Dead-letter a message once its worker died under it more than this many times; None turns the guard off.
        "MAX_DEATHS": 3,
        # Recoveries and poisoned messages kept for the admin page.
        "HISTORY": 50,
    },
    "METRICS": {
        # CloudWatch EMF lines on the leader's standard output: True, False, or "auto" (on inside ECS).
        "EMF": "auto",
        # Whether the leader also calls CloudWatch PutMetricData (pip install 'scalejobs[aws]').
        "PUT_METRIC_DATA": False,
        # Seconds between the leader's publications, 10 or more.
        "INTERVAL_SECONDS": 60.0,
        # CloudWatch namespace of every metric.
        "NAMESPACE": "Scalejobs",
        # Dimensions added to every CloudWatch metric, e.g. {"Service": "worker"}.
        "DIMENSIONS": {},
        # Bearer token that opens GET /scalejobs/metrics to a scraper; None: staff with view_jobs only.
        "TOKEN": None,
    },
    "ENCRYPTION": {
        # Secrets that seal encrypt=True jobs and queued email: the first encrypts, all decrypt.
        # None uses SECRET_KEY, then SECRET_KEY_FALLBACKS, so rotating Django's key rotates these.
        "KEYS": None,
    },
    "BATCH": {
        # Days a finished batch's status is kept; an unfinished batch is never expired.
        "EXPIRY_DAYS": 30,
    },
}

# The keys of one SCALEJOBS["PERIODIC"]["ENTRIES"] value, with their defaults.
PERIODIC_ENTRY_DEFAULTS: dict[str, Any] = {
    "job": None,
    "cron": None,
    "every": None,
    "tz": None,
    "args": [],
    "kwargs": {},
    "queue": None,
    "enabled": True,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class MailSettings:
    """Where and how queued email is delivered."""

    backend: str
    using: str | None
    queue: str
    max_message_bytes: int
    max_retries: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DashboardSettings:
    """How workers report to the admin dashboard, and how it pages."""

    heartbeat_seconds: float
    worker_timeout_seconds: float
    metrics: bool
    metrics_retention_hours: int
    page_size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderSettings:
    """How the worker processes elect the one that runs cluster-wide duties."""

    lease_seconds: float
    renew_seconds: float
    check_seconds: float


@dataclass(frozen=True, slots=True, kw_only=True)
class PeriodicEntrySettings:
    """One schedule declared in settings; ``cron`` or ``every`` (seconds) is set, not both."""

    name: str
    job: str
    cron: str | None
    every: float | None
    tz: str | None
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    queue: str | None
    enabled: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PeriodicSettings:
    """How periodic jobs catch up and what they remember."""

    catch_up_seconds: float
    history: int
    entries: tuple[PeriodicEntrySettings, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ThrottleSettings:
    """How throttled jobs are postponed without using their retries."""

    backoff: float
    max_backoff: float
    max_postponements: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtectionSettings:
    """When and how workers hold ECS scale-in protection, and how they drain on SIGTERM."""

    enabled: bool | str
    transport: str
    expires_minutes: int
    renew_before_seconds: float
    idle_grace_seconds: float
    shutdown_budget_seconds: float | None
    stuck_after_seconds: float
    tick_seconds: float
    process_timeout_seconds: float
    connect_timeout_seconds: float
    read_timeout_seconds: float
    backoff_seconds: float
    max_backoff_seconds: float
    recheck_seconds: float
    history: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ReliabilitySettings:
    """How dead workers' jobs are recovered and poison messages stopped."""

    recover_orphans: bool
    recovery_interval_seconds: float
    pulse_seconds: float
    silence_seconds: float
    max_deaths: int | None
    history: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricsSettings:
    """Where the leader publishes the autoscaling metrics, and who may scrape them."""

    emf: bool | str
    put_metric_data: bool
    interval_seconds: float
    namespace: str
    dimensions: Mapping[str, str]
    token: str | None = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class EncryptionSettings:
    """The secrets that seal job arguments; ``None`` means Django's ``SECRET_KEY`` and fallbacks."""

    keys: tuple[str, ...] | None = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchSettings:
    """How long finished batches are kept."""

    expiry_days: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Every scalejobs setting, validated."""

    redis_url: str | None
    key_prefix: str
    on_commit: bool
    mail: MailSettings = field(repr=False)
    dashboard: DashboardSettings = field(repr=False)
    leader: LeaderSettings = field(repr=False)
    periodic: PeriodicSettings = field(repr=False)
    throttle: ThrottleSettings = field(repr=False)
    protection: ProtectionSettings = field(repr=False)
    reliability: ReliabilitySettings = field(repr=False)
    metrics: MetricsSettings = field(repr=False)
    encryption: EncryptionSettings = field(repr=False)
    batch: BatchSettings = field(repr=False)


def _value(
    raw: Mapping[str, Any],
    path: str,
    key: str,
    kind: type[T] | tuple[type, ...],
    check: Callable[[Any], bool] = lambda value: True,
    expected: str = "",
) -> T:
    name = f"{path}[{key!r}]"
    value = raw[key]
    if isinstance(value, bool) and kind in (int, float):
        ok = False
    else:
        ok = isinstance(value, kind) and check(value)
    if not ok:
        wanted = expected or getattr(kind, "__name__", str(kind))
        raise ConfigurationError(name, f"expected {wanted}, got {value!r}.", f"Set {name} to {wanted}.")
    return value  # type: ignore[return-value]


def _section(raw: Mapping[str, Any], path: str, key: str) -> dict[str, Any]:
    defaults = DEFAULTS[key]
    given = raw.get(key, {})
    name = f"{path}[{key!r}]"
    if not isinstance(given, Mapping):
        raise ConfigurationError(name, f"expected a dict, got {given!r}.", f"Set {name} to a dict.")
    _reject_unknown(given, defaults, name)
    return {**defaults, **given}


def _reject_unknown(given: Mapping[str, Any], defaults: Mapping[str, Any], path: str) -> None:
    import difflib

    for key in given:
        if key not in defaults:
            close = difflib.get_close_matches(str(key), list(defaults), n=1)
            hint = f"Did you mean {close[0]!r}?" if close else f"Valid keys: {', '.join(sorted(defaults))}."
            raise ConfigurationError(f"{path}[{key!r}]", "is not a scalejobs setting.", hint)


def _positive(value: Any) -> bool:
    return value > 0


def _non_negative(value: Any) -> bool:
    return value >= 0


_SECONDS = "a positive number of seconds"


def _positive_number(value: Any) -> bool:
    return not isinstance(value, bool) and value > 0


def _dotted(value: Any) -> bool:
    return "." in value


def _leader(raw: Mapping[str, Any], path: str) -> LeaderSettings:
    section = _section(raw, path, "LEADER")
    at = f"{path}['LEADER']"
    lease = _value(section, at, "LEASE_SECONDS", (int, float), _positive_number, _SECONDS)
    renew = _value(section, at, "RENEW_SECONDS", (int, float), lambda value: 0 < value <= lease / 2, "at most half of LEASE_SECONDS")
    check = _value(section, at, "CHECK_SECONDS", (int, float), _positive_number, _SECONDS)
    return LeaderSettings(lease_seconds=float(lease), renew_seconds=float(renew), check_seconds=float(check))


def _protection(raw: Mapping[str, Any], path: str) -> ProtectionSettings:
    section = _section(raw, path, "PROTECTION")
    at = f"{path}['PROTECTION']"

    def seconds(key: str, check: Callable[[Any], bool] = _positive_number, expected: str = _SECONDS) -> float:
        return float(_value(section, at, key, (int, float), lambda value: not isinstance(value, bool) and check(value), expected))

    expires = _value(section, at, "EXPIRES_MINUTES", int, lambda value: 1 <= value <= 2880, "an int from 1 to 2880")
    timeout = seconds("PROCESS_TIMEOUT_SECONDS")
    backoff = seconds("BACKOFF_SECONDS")
    budget = section["SHUTDOWN_BUDGET_SECONDS"]
    return ProtectionSettings(
        enabled=_value(section, at, "ENABLED", (bool, str), lambda value: value in (True, False, "auto"), 'True, False or "auto"'),
        transport=_value(section, at, "TRANSPORT", str, lambda value: value in ("agent", "boto3"), '"agent" or "boto3"'),
        expires_minutes=expires,
        renew_before_seconds=seconds(
            "RENEW_BEFORE_SECONDS", lambda value: 0 < value < expires * 60, "seconds below EXPIRES_MINUTES * 60"
        ),
        idle_grace_seconds=seconds("IDLE_GRACE_SECONDS", _non_negative, "seconds >= 0"),
        shutdown_budget_seconds=None if budget is None else seconds("SHUTDOWN_BUDGET_SECONDS", _non_negative, "seconds >= 0, or None"),
        stuck_after_seconds=seconds("STUCK_AFTER_SECONDS", _non_negative, "seconds >= 0"),
        tick_seconds=seconds("TICK_SECONDS", lambda value: 0 < value <= timeout / 3, "at most a third of PROCESS_TIMEOUT_SECONDS"),
        process_timeout_seconds=timeout,
        connect_timeout_seconds=seconds("CONNECT_TIMEOUT_SECONDS"),
        read_timeout_seconds=seconds("READ_TIMEOUT_SECONDS"),
        backoff_seconds=backoff,
        max_backoff_seconds=seconds("MAX_BACKOFF_SECONDS", lambda value: value >= backoff, "seconds >= BACKOFF_SECONDS"),
        recheck_seconds=seconds("RECHECK_SECONDS"),
        history=_value(section, at, "HISTORY", int, _positive, "a positive int"),
    )


def _reliability(raw: Mapping[str, Any], path: str) -> ReliabilitySettings:
    section = _section(raw, path, "RELIABILITY")
    at = f"{path}['RELIABILITY']"
    interval = _value(section, at, "RECOVERY_INTERVAL_SECONDS", (int, float), _positive_number, _SECONDS)
    silence = _value(section, at, "SILENCE_SECONDS", (int, float), _positive_number, _SECONDS)
    pulse = _value(section, at, "PULSE_SECONDS", (int, float), lambda value: 0 < value <= silence / 3, "at most a third of SILENCE_SECONDS")
    return ReliabilitySettings(
        recover_orphans=_value(section, at, "RECOVER_ORPHANS", bool),
        recovery_interval_seconds=float(interval),
        pulse_seconds=float(pulse),
        silence_seconds=float(silence),
        max_deaths=_value(section, at, "MAX_DEATHS", (int, type(None)), _count_or_none, "an int >= 0, or None"),
        history=_value(section, at, "HISTORY", int, _positive, "a positive int"),
    )


def _metrics(raw: Mapping[str, Any], path: str) -> MetricsSettings:
    section = _section(raw, path, "METRICS")
    at = f"{path}['METRICS']"

    def dimensions(value: Any) -> bool:
        return len(value) <= 29 and all(isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items())

    return MetricsSettings(
        emf=_value(section, at, "EMF", (bool, str), lambda value: value in (True, False, "auto"), 'True, False or "auto"'),
        put_metric_data=_value(section, at, "PUT_METRIC_DATA", bool),
        interval_seconds=float(
            _value(section, at, "INTERVAL_SECONDS", (int, float), lambda value: value >= 10, "a number of seconds >= 10")
        ),
        namespace=_value(
            section, at, "NAMESPACE", str, lambda value: 0 < len(value) <= 255 and not value.startswith("AWS/"), "a namespace not starting with 'AWS/'"
        ),
        dimensions=dict(_value(section, at, "DIMENSIONS", Mapping, dimensions, "a dict of at most 29 non-empty strings")),
        token=_value(section, at, "TOKEN", (str, type(None)), lambda value: value is None or len(value) >= 16, "a string of 16 characters or more, or None"),
    )


def _encryption(raw: Mapping[str, Any], path: str) -> EncryptionSettings:
    section = _section(raw, path, "ENCRYPTION")
    at = f"{path}['ENCRYPTION']"
    keys = _value(section, at, "KEYS", (list, tuple, type(None)), _secrets, "None or a non-empty list of secret strings")
    return EncryptionSettings(keys=None if keys is None else tuple(keys))


def _secrets(value: Any) -> bool:
    return value is None or (bool(value) and all(isinstance(key, str) and key for key in value))


def _redis_url(value: Any) -> bool:
    from urllib.parse import urlsplit

    if value is None:
        return True
    parts = urlsplit(value)
    return parts.scheme in ("redis", "rediss") and bool(parts.hostname) or parts.scheme == "unix" and bool(parts.path)


def _batch(raw: Mapping[str, Any], path: str) -> BatchSettings:
    section = _section(raw, path, "BATCH")
    days = _value(section, f"{path}['BATCH']", "EXPIRY_DAYS", (int, float), _positive_number, "a positive number of days")
    return BatchSettings(expiry_days=float(days))


def _count_or_none(value: Any) -> bool:
    return value is None or (not isinstance(value, bool) and value >= 0)


def _throttle(raw: Mapping[str, Any], path: str) -> ThrottleSettings:
    section = _section(raw, path, "THROTTLE")
    at = f"{path}['THROTTLE']"
    backoff = _value(section, at, "BACKOFF", (int, float), _positive_number, _SECONDS)
    longest = _value(section, at, "MAX_BACKOFF", (int, float), lambda value: value >= backoff, "seconds >= BACKOFF")
    postponements = _value(section, at, "MAX_POSTPONEMENTS", int, _non_negative, "an int >= 0")
    return ThrottleSettings(backoff=float(backoff), max_backoff=float(longest), max_postponements=postponements)


def _periodic(raw: Mapping[str, Any], path: str) -> PeriodicSettings:
    import re

    section = _section(raw, path, "PERIODIC")
    at = f"{path}['PERIODIC']"
    entries = _value(section, at, "ENTRIES", Mapping, expected="a dict of entries by name")
    parsed = []
    for name, given in entries.items():
        entry_at = f"{at}['ENTRIES'][{name!r}]"
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise ConfigurationError(entry_at, "is not a valid entry name.", "Name entries with letters, digits, '.', '_' and '-'.")
        if not isinstance(given, Mapping):
            raise ConfigurationError(entry_at, f"expected a dict, got {given!r}.", f"Set {entry_at} to a dict.")
        _reject_unknown(given, PERIODIC_ENTRY_DEFAULTS, entry_at)
        entry = {**PERIODIC_ENTRY_DEFAULTS, **given}
        if (entry["cron"] is None) == (entry["every"] is None):
            raise ConfigurationError(entry_at, "needs exactly one of 'cron' and 'every'.", "Give a cron string or 'every' in seconds.")
        parsed.append(
            PeriodicEntrySettings(
                name=name,
                job=_value(entry, entry_at, "job", str, _dotted, "a dotted path to a job"),
                cron=_value(entry, entry_at, "cron", (str, type(None)), expected="a cron string"),
                every=_value(entry, entry_at, "every", (int, float, type(None)), _whole_seconds, "a whole number of seconds >= 1"),
                tz=_value(entry, entry_at, "tz", (str, type(None)), expected="a time zone name such as 'Europe/Paris'"),
                args=tuple(_value(entry, entry_at, "args", (list, tuple), expected="a list")),
                kwargs=_value(entry, entry_at, "kwargs", Mapping, expected="a dict"),
                queue=_value(entry, entry_at, "queue", (str, type(None)), expected="a queue name"),
                enabled=_value(entry, entry_at, "enabled", bool),
            )
        )
    return PeriodicSettings(
        catch_up_seconds=float(_value(section, at, "CATCH_UP_SECONDS", (int, float), _non_negative_number, "seconds >= 0")),
        history=_value(section, at, "HISTORY", int, _positive, "a positive int"),
        entries=tuple(parsed),
    )


def _whole_seconds(value: Any) -> bool:
    return value is None or (value >= 1 and float(value).is_integer())


def _non_negative_number(value: Any) -> bool:
    return not isinstance(value, bool) and value >= 0


def build(raw: Any) -> Settings:
    """Validate the user's ``SCALEJOBS`` value and return ``Settings``."""
    path = "SCALEJOBS"
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigurationError(path, f"expected a dict, got {raw!r}.", "Set SCALEJOBS to a dict.")
    _reject_unknown(raw, DEFAULTS, path)
    merged = {**DEFAULTS, **raw}
    mail = _section(raw, path, "MAIL")
    mail_path = f"{path}['MAIL']"
    dashboard = _section(raw, path, "DASHBOARD")
    dashboard_path = f"{path}['DASHBOARD']"
    return Settings(
        redis_url=_value(merged, path, "REDIS_URL", (str, type(None)), _redis_url, "a redis://, rediss:// or unix:// URL, or None"),
        key_prefix=_value(merged, path, "KEY_PREFIX", str, bool, "a non-empty string"),
        on_commit=_value(merged, path, "ON_COMMIT", bool),
        mail=MailSettings(
            backend=_value(mail, mail_path, "BACKEND", str, _dotted, "a dotted path to an email backend"),
            using=_value(mail, mail_path, "USING", (str, type(None)), expected="a MAILERS alias or None"),
            queue=_value(mail, mail_path, "QUEUE", str, bool, "a queue name"),
            max_message_bytes=_value(mail, mail_path, "MAX_MESSAGE_BYTES", int, _positive, "a positive int"),
            max_retries=_value(mail, mail_path, "MAX_RETRIES", int, _non_negative, "an int >= 0"),
        ),
        dashboard=DashboardSettings(
            heartbeat_seconds=_value(dashboard, dashboard_path, "HEARTBEAT_SECONDS", (int, float), _positive_number, _SECONDS),
            worker_timeout_seconds=_value(
                dashboard, dashboard_path, "WORKER_TIMEOUT_SECONDS", (int, float), _positive_number, _SECONDS
            ),
            metrics=_value(dashboard, dashboard_path, "METRICS", bool),
            metrics_retention_hours=_value(dashboard, dashboard_path, "METRICS_RETENTION_HOURS", int, _positive, "a positive int"),
            page_size=_value(dashboard, dashboard_path, "PAGE_SIZE", int, _positive, "a positive int"),
        ),
        leader=_leader(raw, path),
        periodic=_periodic(raw, path),
        throttle=_throttle(raw, path),
        protection=_protection(raw, path),
        reliability=_reliability(raw, path),
        metrics=_metrics(raw, path),
        encryption=_encryption(raw, path),
        batch=_batch(raw, path),
    )


@functools.cache
def get_settings() -> Settings:
    """Return the validated settings, building them on first use."""
    return build(getattr(django_settings, "SCALEJOBS", None))


def clear_settings(*, setting: str, **kwargs: Any) -> None:
    """Forget the cached settings when a test overrides a setting they read."""
    if setting in ("SCALEJOBS", "DRAMATIQ_BROKER"):
        get_settings.cache_clear()
        from . import store

        store.reset()


def django_setting(name: str, default: Any = None) -> Any:
    """Return a Django setting other than ``SCALEJOBS``, read in one place."""
    return getattr(django_settings, name, default)
