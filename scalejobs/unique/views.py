"""The unique-locks admin page: every live lock, its holder and TTL; release one."""

from __future__ import annotations

import redis
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from ..pages import Page, action, log_action, render_page, viewer
from . import unique_jobs


@viewer
def locks_page(request: HttpRequest) -> HttpResponse:
    """List the locks, those expiring soonest first."""
    engine = unique_jobs()
    try:
        context = {"locks": engine.locks(), "total": engine.count(), "unreachable": False}
    except (redis.RedisError, OSError):
        context = {"locks": [], "total": 0, "unreachable": True}
    return render_page(request, "scalejobs/unique/index.html", context, title="Unique locks")


@action
def release(request: HttpRequest) -> HttpResponse:
    """Release a lock, if the message shown on the page still holds it."""
    digest, owner = request.POST.get("digest", ""), request.POST.get("owner", "")
    try:
        released = unique_jobs().release(digest, owner)
    except (redis.RedisError, OSError):
        messages.error(request, "Redis unreachable: nothing was released.")
        return HttpResponseRedirect(reverse("admin:scalejobs_unique"))
    if released:
        log_action(request, f"Released unique lock {digest} held by message {owner}.")
        messages.success(request, f"Released the lock held by message {owner}; the next enqueue is accepted.")
    else:
        messages.warning(request, f"Message {owner} no longer holds that lock; nothing was released.")
    return HttpResponseRedirect(reverse("admin:scalejobs_unique"))


PAGES = [
    Page(name="unique", route="unique/", title="Unique locks", view=locks_page),
    Page(name="unique_release", route="unique/release/", title="Release", view=release, in_menu=False),
]
