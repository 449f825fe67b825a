"""Define and enqueue jobs."""

from .actor import ENCRYPT, Job, job, perform_bulk, perform_later
from .enqueue import Delay, enqueue
from .payload import check_arguments

__all__ = ["ENCRYPT", "Delay", "Job", "check_arguments", "enqueue", "job", "perform_bulk", "perform_later"]
