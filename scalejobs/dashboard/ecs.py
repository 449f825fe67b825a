"""Find the ECS task this worker runs in, for the Workers page.

Join point: the protection slice reads the same task metadata to protect
this task; when it offers a public lookup, ``task_arn`` should call it.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from collections.abc import Mapping

logger = logging.getLogger(__name__)

METADATA_VARIABLE = "ECS_CONTAINER_METADATA_URI_V4"
# Worker boot waits at most this long for the metadata endpoint.
TIMEOUT_SECONDS = 2.0


def task_arn(environ: Mapping[str, str] = os.environ) -> str | None:
    """Return this container's ECS task ARN, or ``None`` outside ECS or when unreadable."""
    uri = environ.get(METADATA_VARIABLE)
    if not uri:
        return None
    try:
        with urllib.request.urlopen(uri.rstrip("/") + "/task", timeout=TIMEOUT_SECONDS) as response:
            document = json.load(response)
    except (OSError, ValueError) as error:
        logger.warning("Could not read the ECS task metadata at %s: %s", uri, error)
        return None
    arn = document.get("TaskARN") if isinstance(document, dict) else None
    return str(arn) if arn else None
