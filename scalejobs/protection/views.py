"""The "Protected tasks" admin page: every ECS task running workers, live."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import redis
from django.http import HttpRequest, HttpResponse

from ..errors import StoreUnavailable
from ..pages import Page, render_page, viewer
from .ledger import JobView, TaskView
from .runtime import ledger

# Seconds between the page's own reloads.
REFRESH_SECONDS = 5


def _time(moment: float | None) -> str:
    if not moment:
        return ""
    return dt.datetime.fromtimestamp(moment, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _progress(message_ids: set[str]) -> dict[str, Any]:
    """Return the latest progress of each job by message id, from the dashboard's registry."""
    from .. import dashboard

    return {message_id: value for message_id, value in dashboard.progress_of(message_ids).items() if value}


def _job_row(job: JobView, now: float, progress: dict[str, Any]) -> dict[str, Any]:
    return {
        "job": job,
        "started": _time(job.started_at),
        "running_for": f"{max(0.0, now - job.started_at):.0f} s",
        "progress": progress.get(job.message_id),
    }


def _task_row(task: TaskView, now: float, progress: dict[str, Any]) -> dict[str, Any]:
    last = task.last_call or {}
    return {
        "task": task,
        "short_id": task.task_arn.rsplit("/", 1)[-1],
        "protected": task.protected_at(now),
        "since": _time(task.since),
        "expires": _time(task.expires_at),
        "remaining": f"{max(0.0, (task.expires_at or 0) - now) / 60:.1f} min" if task.protected_at(now) else "",
        "recheck": _time(task.recheck_at),
        "backoff": _time(task.backoff_until) if (task.backoff_until or 0) > now else "",
        "last_call": {**last, "when": _time(last.get("at"))} if last else None,
        "jobs": [_job_row(job, now, progress) for job in task.jobs],
        "history": [{**entry, "when": _time(entry.get("at"))} for entry in task.history],
    }


@viewer
def protected_tasks(request: HttpRequest) -> HttpResponse:
    """List every ECS task with live workers: protection, jobs in flight, calls, history."""
    context: dict[str, Any] = {"refresh": REFRESH_SECONDS, "unreachable": False, "tasks": []}
    try:
        tasks = ledger().tasks()
    except (redis.RedisError, StoreUnavailable, OSError):
        context["unreachable"] = True
        return render_page(request, "scalejobs/protection/tasks.html", context, title="Protected tasks")
    now = time.time()
    progress = _progress({job.message_id for task in tasks for job in task.jobs})
    context["tasks"] = [_task_row(task, now, progress) for task in tasks]
    context["now"] = _time(now)
    return render_page(request, "scalejobs/protection/tasks.html", context, title="Protected tasks")


PAGES = [Page(name="protection", route="protection/", title="Protected tasks", view=protected_tasks)]
