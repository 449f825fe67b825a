"""The one exception hierarchy every scalejobs error belongs to."""

from __future__ import annotations

import dramatiq
import redis


class ScalejobsError(Exception):
    """Raised for any scalejobs failure; catch this to catch them all."""


class ConfigurationError(ScalejobsError):
    """Raised when a ``SCALEJOBS`` setting is missing or invalid."""

    def __init__(self, setting: str, message: str, hint: str = "") -> None:
        super().__init__(f"{setting}: {message}")
        self.setting = setting
        self.message = message
        self.hint = hint


class EnqueueVeto(ScalejobsError, dramatiq.middleware.MiddlewareError):
    """Raised from a ``before_enqueue`` hook to stop a message being sent.

    Dramatiq swallows ordinary exceptions in before-hooks; only a
    ``MiddlewareError`` reaches the caller of ``send()``.
    """


class MessageTooLarge(ScalejobsError, ValueError):
    """Raised when an enqueued payload is larger than the configured cap."""


class UnsupportedMessage(ScalejobsError, TypeError):
    """Raised when an email message holds something a queue cannot carry to a worker."""


class StoreUnavailable(ScalejobsError):
    """Raised when the Redis coordination store cannot be reached."""


class BrokerUnavailable(StoreUnavailable, redis.ConnectionError):
    """Raised when a job cannot be enqueued because the broker's Redis did not answer in time.

    Also a ``redis.ConnectionError``, which enqueue raised before, so existing handlers still catch it.
    """


class JobOptionError(ScalejobsError, ValueError, dramatiq.middleware.MiddlewareError):
    """Raised at decoration time when a job option has an invalid value.

    A ``MiddlewareError`` so that it escapes Dramatiq's ``declare_actor`` hooks.
    """


class DuplicateJob(EnqueueVeto):
    """Raised when a unique job is sent while another message holds its lock."""

    def __init__(self, actor_name: str, holder: str) -> None:
        super().__init__(f"{actor_name}: not sent, message {holder!r} already holds this job's unique lock.")
        self.actor_name = actor_name
        self.holder = holder


class UndecryptableArguments(ScalejobsError):
    """Raised when a worker cannot decrypt a job's sealed arguments with any configured key.

    The job is dead-lettered at once: a retry would fail the same way.
    """
