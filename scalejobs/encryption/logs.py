"""Keep the worker's failure log lines of sealed jobs free of what their exceptions quote.

Dramatiq logs "Failed to process message %s with unhandled exception." with
the traceback. The message itself prints as ``job(<encrypted>)``; this filter
replaces the traceback of such a line by ``redact_traceback``'s, since an
exception's message often quotes the arguments it failed on.
"""

from __future__ import annotations

import logging
import traceback

import dramatiq

from .engine import redact_traceback
from .message import is_sealed

# Dramatiq's worker threads log through this logger (dramatiq.logging.get_logger).
WORKER_LOGGER = "dramatiq.worker.WorkerThread"


class SealedFailures(logging.Filter):
    """Redact the traceback of a log record about a sealed message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.args, tuple) and any(_sealed(arg) for arg in record.args):
            text = "".join(traceback.format_exception(*record.exc_info))
            record.exc_info = None
            record.exc_text = redact_traceback(text.rstrip("\n"))
        return True


def _sealed(value: object) -> bool:
    return isinstance(value, (dramatiq.Message, dramatiq.MessageProxy)) and is_sealed(value)


def install() -> None:
    """Add the filter to the worker threads' logger, once."""
    logger = logging.getLogger(WORKER_LOGGER)
    if not any(isinstance(existing, SealedFailures) for existing in logger.filters):
        logger.addFilter(SealedFailures())
