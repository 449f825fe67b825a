"""scalejobs: Sidekiq Enterprise-style jobs for Django, on Dramatiq and Redis."""

from __future__ import annotations

from .batch import Batch
from .dashboard.running import progress
from .errors import BrokerUnavailable, ConfigurationError, DuplicateJob, ScalejobsError
from .jobs import Job, job, perform_bulk, perform_later
from .leader import is_leader
from .mail import deliver_later, send_mail_later, send_mass_mail_later
from .periodic import every
from .throttle.limiters import Bucket, Concurrency, Leaky, Window
from .throttle.within_limit import OverLimit, within_limit

__all__ = [
    "Batch",
    "BrokerUnavailable",
    "Bucket",
    "Concurrency",
    "ConfigurationError",
    "DuplicateJob",
    "Job",
    "Leaky",
    "OverLimit",
    "ScalejobsError",
    "Window",
    "deliver_later",
    "every",
    "is_leader",
    "job",
    "perform_bulk",
    "perform_later",
    "progress",
    "send_mail_later",
    "send_mass_mail_later",
    "within_limit",
]
