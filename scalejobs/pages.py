"""The frame every scalejobs admin page hangs in: registry, rendering, actions.

Each slice lists its pages in ``PAGES`` in its ``views.py`` and names that
module in its ``slice.py``; the menu follows the registry's order. Pages
live under ``/admin/scalejobs/jobs/<slug>/``, behind the admin's staff
login and CSRF protection; reading needs
``scalejobs.view_jobs``, acting needs ``scalejobs.manage_jobs`` as well, and
every action is a POST that leaves an entry in the admin log. Job arguments
show in clear only with ``scalejobs.view_job_arguments``. When Redis does not
answer, every page and action shows "Redis unreachable" (HTTP 503) instead
of failing with a 500.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST
from redis import ConnectionError as RedisConnectionError
from redis import ResponseError as RedisResponseError
from redis import TimeoutError as RedisTimeoutError

from .errors import StoreUnavailable
from .kernel.slice import load

logger = logging.getLogger(__name__)

VIEW_PERMISSION = "scalejobs.view_jobs"
MANAGE_PERMISSION = "scalejobs.manage_jobs"
ARGUMENTS_PERMISSION = "scalejobs.view_job_arguments"
# Errors that mean Redis did not answer in time, not that the page is wrong.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, StoreUnavailable)

View = Callable[..., HttpResponse]


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """One admin page: ``route`` below the scalejobs root, named ``scalejobs_<name>``."""

    name: str
    route: str
    title: str
    view: View
    # Whether the page shows in the scalejobs menu (detail pages and actions do not).
    in_menu: bool = True


def all_pages() -> list[Page]:
    """Return the pages of every slice, in the registry's order."""
    from .slices import SLICES

    pages: list[Page] = []
    for slice in SLICES:
        if slice.pages is not None:
            pages.extend(load(f"{slice.pages}.PAGES"))
    return pages


def can_manage(request: HttpRequest) -> bool:
    """Tell whether the user may act, not only look; acting needs both permissions."""
    return request.user.has_perm(VIEW_PERMISSION) and request.user.has_perm(MANAGE_PERMISSION)


def can_see_arguments(request: HttpRequest) -> bool:
    """Tell whether the user may see job arguments in clear."""
    return request.user.has_perm(ARGUMENTS_PERMISSION)


def viewer(view: View) -> View:
    """Let only users with the view permission see a page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm(VIEW_PERMISSION):
            raise PermissionDenied
        return _answer(view, request, *args, **kwargs)

    return wrapper


def action(view: View) -> View:
    """Let only POSTs from users with the manage permission act."""

    @functools.wraps(view)
    @require_POST
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_manage(request):
            raise PermissionDenied
        return _answer(view, request, *args, **kwargs)

    return wrapper


def _answer(view: View, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    # Render here, not on the way out, so a template that reaches Redis is covered too.
    try:
        response = view(request, *args, **kwargs)
        if isinstance(response, TemplateResponse) and not response.is_rendered:
            response.render()
        return response
    except UNREACHABLE as error:
        logger.warning("scalejobs: Redis unreachable while serving %s: %s", request.path, error)
        response = render_page(request, "scalejobs/unreachable.html", {"error": error}, title="Redis unreachable")
        response.status_code = 503
        return response
    except RedisResponseError as error:
        # Not an outage: Redis refused a command, usually on a key something else wrote.
        culprit = _wrong_type_key() if "WRONGTYPE" in str(error) else None
        logger.error("scalejobs: Redis refused a command while serving %s: %s (key: %s)", request.path, error, culprit)
        context = {"error": error, "culprit": culprit}
        response = render_page(request, "scalejobs/redis_error.html", context, title="Redis error")
        response.status_code = 503
        return response


def _wrong_type_key() -> tuple[str, str, str] | None:
    from .dashboard import engine

    try:
        return engine().wrong_type_key()
    except (*UNREACHABLE, RedisResponseError):
        return None


def log_action(request: HttpRequest, message: str) -> None:
    """Record an action in Django's admin log, under the scalejobs section."""
    from .models import Jobs

    LogEntry.objects.create(
        # Only staff reach an action: the user is signed in.
        user_id=cast("int", request.user.pk),
        content_type=ContentType.objects.get_for_model(Jobs, for_concrete_model=False),
        object_id=None,
        object_repr="scalejobs"[:200],
        action_flag=CHANGE,
        change_message=message,
    )


def render_page(request: HttpRequest, template: str, context: dict[str, Any], *, title: str) -> TemplateResponse:
    """Render ``template`` inside the admin frame, with the scalejobs menu."""
    from django.contrib import admin

    frame = {
        **admin.site.each_context(request),
        "title": title,
        "scalejobs_pages": [page for page in all_pages() if page.in_menu],
        "can_manage": can_manage(request),
        "can_see_arguments": can_see_arguments(request),
    }
    return TemplateResponse(request, template, {**frame, **context})
