"""Define and enqueue jobs."""

from .actor import Job, job, perform_bulk, perform_later
from .payload import check_arguments

__all__ = ["Job", "check_arguments", "job", "perform_bulk", "perform_later"]
