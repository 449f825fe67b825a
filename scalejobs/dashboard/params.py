"""Read and validate what the pages and actions receive in URLs, query strings and forms."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.http import Http404, QueryDict

from ..conf import get_settings
from ..kernel.dramatiq_keys import is_derived_queue
from .values import DeadLetterFilter

# Dramatiq's own rule for queue names; anything else in a URL is not a queue.
QUEUE_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9._-]*")


def queue_name(name: str) -> str:
    """Return ``name`` if it can name a Dramatiq queue, else answer 404."""
    if not QUEUE_NAME.fullmatch(name) or is_derived_queue(name):
        raise Http404(f"{name!r} is not a queue name")
    return name


def start(query: QueryDict) -> int:
    """Return the position a page starts at (0 when absent or invalid)."""
    try:
        return max(0, int(query.get("start", 0)))
    except ValueError:
        return 0


def cursor(query: QueryDict) -> str:
    """Return the scan cursor a delayed-messages page starts at ("0" when absent or invalid)."""
    value = query.get("cursor", "0")
    return value if value.isdigit() else "0"


def page_size() -> int:
    """Return how many messages a browser page shows."""
    return get_settings().dashboard.page_size


def dead_letter_filter(query: QueryDict) -> DeadLetterFilter:
    """Return the dead-letter filter given as ``actor`` and ``error``."""
    return DeadLetterFilter(actor=query.get("actor", "").strip(), error=query.get("error", "").strip())


def page_links(position: str, fixed: dict[str, str], *, previous: str | None, following: str | None) -> dict[str, str]:
    """Return ``previous_url``/``next_url`` query strings that keep ``fixed`` and move ``position``."""
    links = {}
    if previous is not None:
        links["previous_url"] = "?" + urlencode({**fixed, position: previous})
    if following is not None:
        links["next_url"] = "?" + urlencode({**fixed, position: following})
    return links
