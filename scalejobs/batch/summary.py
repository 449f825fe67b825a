"""Write the running batches as plain-text lines, for ``manage.py scalejobs status``."""

from __future__ import annotations

from .engine import BatchStatus

# Running batches listed at most; the admin's Batches page lists them all.
LISTED = 20


def running_lines(running: list[BatchStatus]) -> list[str]:
    """Return a heading and one line per running batch: progress, failures, description."""
    lines = [f"Batches running: {len(running)}"]
    for status in running[:LISTED]:
        dead = f", {status.dead} dead" if status.dead else ""
        lines.append(
            f"  {status.id}  {status.done}/{status.total} done ({status.percent}%), {status.pending} pending, "
            f"{status.failed} failed{dead}  {status.description}"
        )
    if len(running) > LISTED:
        lines.append(f"  ... and {len(running) - LISTED} more (see the admin's Batches page)")
    return lines
