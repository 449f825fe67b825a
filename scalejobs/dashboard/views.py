"""The dashboard's admin pages; each asks the engine and renders, none talks to Redis.

Actions (POST, manage permission, logged) live in ``actions.py``; both are
listed in ``PAGES``, the Dashboard first so it heads the scalejobs menu.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from ..pages import Page, render_page, viewer
from . import actions, declared_queues, engine
from .chart import throughput_chart
from .params import cursor, dead_letter_filter, page_links, page_size, queue_name, start


@viewer
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show throughput over the last hour, queue sizes and latency, and busy workers."""
    found = engine()
    overview = found.overview(declared_queues())
    context = {"overview": overview, "chart": throughput_chart(overview.minutes), "now": found.clock()}
    return render_page(request, "scalejobs/dashboard/dashboard.html", context, title="Dashboard")


@viewer
def queues(request: HttpRequest) -> HttpResponse:
    """List every queue with its ready, delayed, in-flight and dead counts."""
    found = engine()
    summaries = found.queues.summaries(found.queues.names(declared_queues()))
    return render_page(request, "scalejobs/dashboard/queues.html", {"queues": summaries, "now": found.clock()}, title="Queues")


@viewer
def queue(request: HttpRequest, queue: str) -> HttpResponse:
    """Browse the ready or delayed messages of one queue, a page at a time."""
    queue = queue_name(queue)
    found = engine()
    first = start(request.GET)
    state = "delayed" if request.GET.get("state") == "delayed" else "ready"
    if state == "delayed":
        listing = found.queues.delayed(queue, cursor=cursor(request.GET), count=page_size())
        links = page_links("cursor", {"state": state}, previous=None, following=listing.next_cursor)
    else:
        listing = found.queues.ready(queue, start=first, count=page_size())
        previous = str(max(0, first - page_size())) if first else None
        links = page_links("start", {"state": state}, previous=previous, following=listing.next_cursor)
    context = {"queue": queue, "state": state, "listing": listing, "first": first + 1, "last": first + len(listing.items), **links}
    return render_page(request, "scalejobs/dashboard/queue.html", context, title=f"Queue {queue}")


@viewer
def running(request: HttpRequest) -> HttpResponse:
    """Show every job in flight across all workers, with its progress."""
    found = engine()
    context = {"jobs": found.workers.running(), "now": found.clock()}
    return render_page(request, "scalejobs/dashboard/running.html", context, title="Running jobs")


@viewer
def dead_letters(request: HttpRequest) -> HttpResponse:
    """Browse one queue's dead letters, newest first, optionally filtered."""
    found = engine()
    summaries = found.queues.summaries(found.queues.names(declared_queues()))
    default = next((s.name for s in summaries if s.dead), summaries[0].name if summaries else "default")
    queue = queue_name(request.GET.get("queue") or default)
    match = dead_letter_filter(request.GET)
    first = start(request.GET)
    listing = found.dead_letters.page(queue, start=first, count=page_size(), match=match)
    # A filtered page cannot know where the previous one began; it offers the first page instead.
    previous = None if not first else "0" if not match.is_empty else str(max(0, first - page_size()))
    fixed = {"queue": queue, "actor": match.actor, "error": match.error}
    links = page_links("start", fixed, previous=previous, following=listing.next_cursor)
    context = {"queues": summaries, "queue": queue, "match": match, "listing": listing, **links}
    return render_page(request, "scalejobs/dashboard/dead_letters.html", context, title="Dead letters")


@viewer
def workers(request: HttpRequest) -> HttpResponse:
    """List every live worker process."""
    found = engine()
    context = {"workers": found.workers.workers(), "now": found.clock()}
    return render_page(request, "scalejobs/dashboard/workers.html", context, title="Workers")


PAGES = [
    Page(name="dashboard", route="dashboard/", title="Dashboard", view=dashboard),
    Page(name="dashboard_queues", route="queues/", title="Queues", view=queues),
    Page(name="dashboard_running", route="running/", title="Running jobs", view=running),
    Page(name="dashboard_dead_letters", route="dead-letters/", title="Dead letters", view=dead_letters),
    Page(name="dashboard_workers", route="workers/", title="Workers", view=workers),
    Page(name="dashboard_queue", route="queues/<str:queue>/", title="Queue", view=queue, in_menu=False),
    *actions.PAGES,
]
