"""scalejobs: Sidekiq Enterprise-style jobs for Django, on Dramatiq and Redis."""

from __future__ import annotations

from .errors import ConfigurationError, ScalejobsError
from .jobs import Job, job, perform_later

__all__ = [
    "ConfigurationError",
    "Job",
    "ScalejobsError",
    "job",
    "perform_later",
]
