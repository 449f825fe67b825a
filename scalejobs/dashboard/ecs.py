"""Find the ECS task this worker runs in, for the Workers page.

The protection slice reads the same task metadata to protect the task; this
asks it, with a short timeout so a worker's boot never waits long.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

logger = logging.getLogger(__name__)

METADATA_VARIABLE = "ECS_CONTAINER_METADATA_URI_V4"
# Worker boot waits at most this long for the metadata endpoint.
TIMEOUT_SECONDS = 2.0


def task_arn(environ: Mapping[str, str] = os.environ) -> str | None:
    """Return this container's ECS task ARN, or ``None`` outside ECS or when unreadable."""
    from ..protection import read_task_metadata

    uri = environ.get(METADATA_VARIABLE)
    if not uri:
        return None
    try:
        return read_task_metadata(uri, connect_timeout=TIMEOUT_SECONDS, read_timeout=TIMEOUT_SECONDS).task_arn
    except OSError as error:
        logger.warning("Could not read the ECS task metadata at %s: %s", uri, error)
        return None
