"""The Batches admin pages: running and recent batches with their progress, and one batch in detail.

They ask the batch engine and render; when Redis does not answer, the admin
frame (``pages.viewer``) shows "Redis unreachable" instead.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from ..pages import Page, render_page, viewer
from . import engine_from_settings

# Batches listed on the index page, newest first.
LISTED = 100
# Dead jobs listed on a batch's page.
DEAD_LISTED = 100


def _time(moment: float | None) -> dt.datetime | None:
    return None if moment is None else dt.datetime.fromtimestamp(moment, tz=timezone.get_current_timezone())


@viewer
def batches(request: HttpRequest) -> HttpResponse:
    """List the running and the recent batches with their progress."""
    found = engine_from_settings().recent(LISTED)
    rows: list[dict[str, Any]] = [{"status": status, "created": _time(status.created_at), "finished": _time(status.finished_at)} for status in found]
    context = {"running": [row for row in rows if not row["status"].finished], "finished": [row for row in rows if row["status"].finished]}
    return render_page(request, "scalejobs/batch/index.html", context, title="Batches")


@viewer
def batch(request: HttpRequest, batch_id: str) -> HttpResponse:
    """Show one batch: counts, times, callbacks, child batches and links to its dead jobs' dead letters."""
    engine = engine_from_settings()
    status = engine.status(batch_id)
    if status is None:
        raise Http404("No such batch (never created, or expired).")
    dead_letters = reverse("admin:scalejobs_dashboard_dead_letters")
    dead = [
        {"job": job, "url": f"{dead_letters}?{urlencode({'queue': job.queue, 'actor': job.actor})}"}
        for job in engine.dead_jobs(batch_id, DEAD_LISTED)
        if job.actor != "batch"
    ]
    context = {
        "status": status,
        "created": _time(status.created_at),
        "finished": _time(status.finished_at),
        "children": engine.statuses(engine.children(batch_id)),
        "dead": dead,
    }
    return render_page(request, "scalejobs/batch/detail.html", context, title=f"Batch {status.description or batch_id}")


PAGES = [
    Page(name="batches", route="batches/", title="Batches", view=batches),
    Page(name="batch", route="batches/<str:batch_id>/", title="Batch", view=batch, in_menu=False),
]
