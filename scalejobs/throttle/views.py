"""The throttles admin page: each limiter and scope, its use against its limit, refusals and reclaimed slots."""

from __future__ import annotations

import redis
from django.http import HttpRequest, HttpResponse

from ..pages import Page, render_page, viewer
from . import throttles


@viewer
def throttles_page(request: HttpRequest) -> HttpResponse:
    """List the limiters used in the last day, most recently used first."""
    try:
        context = {"limiters": throttles().usage(), "unreachable": False}
    except (redis.RedisError, OSError):
        context = {"limiters": [], "unreachable": True}
    return render_page(request, "scalejobs/throttle/index.html", context, title="Throttles")


PAGES = [Page(name="throttles", route="throttles/", title="Throttles", view=throttles_page)]
