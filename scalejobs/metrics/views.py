"""``GET /scalejobs/metrics``: the Prometheus scrape endpoint.

Open to a request bearing ``SCALEJOBS["METRICS"]["TOKEN"]`` and to active
staff with ``scalejobs.view_jobs``; 403 to anyone else. Each scrape takes
one reading (a few counters, no key scan) and renders it.
"""

from __future__ import annotations

import hmac
import logging

import redis
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from ..conf import get_settings
from ..pages import VIEW_PERMISSION
from . import snapshot
from .prometheus import render

logger = logging.getLogger(__name__)


def allowed(request: HttpRequest) -> bool:
    """Tell whether the request bears the configured token or comes from staff allowed to view jobs."""
    token = get_settings().metrics.token
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[len("Bearer ") :].encode(), token.encode()):
        return True
    # Without AuthenticationMiddleware (a metrics-only URLconf) only the token opens the view.
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_active and user.is_staff and user.has_perm(VIEW_PERMISSION))


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Render every metric in the Prometheus or OpenMetrics text format, as the scraper asks."""
    if not allowed(request):
        return HttpResponse("Forbidden: send the metrics token or sign in as staff with view_jobs.\n", status=403, content_type="text/plain")
    try:
        reading = snapshot()
    except redis.RedisError as error:
        logger.warning("scalejobs: the metrics view cannot reach Redis: %s", error)
        return HttpResponse(f"Redis is unreachable: {error}\n", status=503, content_type="text/plain")
    body, content_type = render(reading, request.headers.get("Accept", ""))
    return HttpResponse(body, content_type=content_type)
