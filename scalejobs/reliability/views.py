"""The reliability admin page: orphan recovery counts, the latest recoveries, and poisoned messages.

It asks ``overview()`` and renders; when Redis does not answer, the admin
frame (``pages.viewer``) shows "Redis unreachable" instead.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from ..leader import current_leader
from ..pages import Page, render_page, viewer
from . import overview


def _time(moment: float | None) -> dt.datetime | None:
    return None if moment is None else dt.datetime.fromtimestamp(moment, tz=timezone.get_current_timezone())


@viewer
def reliability_page(request: HttpRequest) -> HttpResponse:
    """Show how many dead workers' jobs were recovered, the latest recoveries, and messages that kill their workers."""
    found = overview()
    context = {
        "overview": found,
        "leader": current_leader(),
        "last_pass": _time(found.stats.last_pass),
        "last_recovery": _time(found.stats.last_recovery),
        "recent": [{"at": _time(recovery.at), "recovery": recovery} for recovery in found.recent],
        "poisoned": [{"at": _time(poisoned.at), "message": poisoned} for poisoned in found.poisoned],
    }
    return render_page(request, "scalejobs/reliability/index.html", context, title="Reliability")


PAGES = [Page(name="reliability", route="reliability/", title="Reliability", view=reliability_page)]
