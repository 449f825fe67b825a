"""The periodic admin page: entries, next runs, tick history and the leader; pause, resume, run now."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import redis
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from ..leader import current_leader, leader_changes
from ..pages import Page, action, log_action, render_page, viewer
from .declarations import Declarations, declared_entries, import_job_modules
from .engine import PeriodicScheduler
from .records import Entry, EntryState, TickRecord
from .runner import periodic_scheduler

UTC = ZoneInfo("UTC")
# Tick records shown on the page, all entries together.
HISTORY_SHOWN = 50
# Leader changes shown on the page.
CHANGES_SHOWN = 10


def _declared() -> tuple[Declarations, PeriodicScheduler]:
    import_job_modules()
    declarations = declared_entries()
    return declarations, periodic_scheduler(declarations)


def _time(timestamp: float | None, tz: ZoneInfo) -> str:
    if timestamp is None:
        return ""
    return dt.datetime.fromtimestamp(timestamp, tz).strftime("%Y-%m-%d %H:%M:%S %Z")


def _entry_row(state: EntryState) -> dict[str, Any]:
    entry = state.entry
    return {
        "entry": entry,
        "schedule": entry.schedule.describe(),
        "next_local": _time(state.next_tick, entry.tz),
        "next_utc": _time(state.next_tick, UTC),
        "last": state.last,
        "last_at": _time(state.last.at if state.last else None, entry.tz),
        "paused": state.paused,
        "paused_at": _time(state.paused.at if state.paused else None, entry.tz),
        "request": uuid.uuid4().hex,
    }


def _history_row(record: TickRecord, zones: dict[str, ZoneInfo]) -> dict[str, Any]:
    tz = zones.get(record.entry, UTC)
    return {
        "record": record,
        "at": _time(record.at, tz),
        "tick_local": _time(record.tick, tz),
        "tick_utc": _time(record.tick, UTC),
        "first_local": _time(record.first, tz),
    }


@viewer
def periodic_page(request: HttpRequest) -> HttpResponse:
    """Show every entry, the recent ticks and who leads."""
    declarations, scheduler = _declared()
    context: dict[str, Any] = {"problems": declarations.problems, "unreachable": False}
    try:
        states = scheduler.states(declarations.entries)
        history = scheduler.history(declarations.entries, limit=HISTORY_SHOWN)
        leader, changes, claims_lost = current_leader(), leader_changes(CHANGES_SHOWN), scheduler.claims_lost()
    except (redis.RedisError, OSError):
        context["unreachable"] = True
        return render_page(request, "scalejobs/periodic/index.html", context, title="Periodic")
    zones = {entry.name: entry.tz for entry in declarations.entries}
    context.update(
        rows=[_entry_row(state) for state in states],
        history=[_history_row(record, zones) for record in history],
        leader=leader,
        leader_since=_time(leader.since, UTC) if leader else "",
        changes=[{"change": change, "at": _time(change.at, UTC)} for change in changes],
        claims_lost=claims_lost,
    )
    return render_page(request, "scalejobs/periodic/index.html", context, title="Periodic")


def _entry(request: HttpRequest) -> tuple[Entry, PeriodicScheduler]:
    declarations, scheduler = _declared()
    name = request.POST.get("entry", "")
    for entry in declarations.entries:
        if entry.name == name:
            return entry, scheduler
    raise Http404(f"No periodic entry is named {name!r}.")


def _back() -> HttpResponse:
    return HttpResponseRedirect(reverse("admin:scalejobs_periodic"))


@action
def pause(request: HttpRequest) -> HttpResponse:
    """Pause an entry: its ticks are not sent until it is resumed."""
    entry, scheduler = _entry(request)
    scheduler.pause(entry, by=request.user.get_username())
    log_action(request, f"Paused periodic entry {entry.name!r}.")
    messages.success(request, f"Paused {entry.name}.")
    return _back()


@action
def resume(request: HttpRequest) -> HttpResponse:
    """Resume an entry from its next tick on."""
    entry, scheduler = _entry(request)
    scheduler.resume(entry, by=request.user.get_username())
    log_action(request, f"Resumed periodic entry {entry.name!r}.")
    messages.success(request, f"Resumed {entry.name}.")
    return _back()


@action
def run_now(request: HttpRequest) -> HttpResponse:
    """Send an entry's job once now, outside its schedule; a resubmitted form sends nothing more."""
    entry, scheduler = _entry(request)
    record = scheduler.run_now(entry, request=request.POST.get("request") or uuid.uuid4().hex, by=request.user.get_username())
    if record is None:
        messages.info(request, f"{entry.name} was already run from this form.")
    elif record.error:
        messages.error(request, f"{entry.name} could not be sent: {record.error}")
    else:
        log_action(request, f"Ran periodic entry {entry.name!r} now (message {record.message_id}).")
        messages.success(request, f"Sent {entry.name} (message {record.message_id}).")
    return _back()


PAGES = [
    Page(name="periodic", route="periodic/", title="Periodic", view=periodic_page),
    Page(name="periodic_pause", route="periodic/pause/", title="Pause", view=pause, in_menu=False),
    Page(name="periodic_resume", route="periodic/resume/", title="Resume", view=resume, in_menu=False),
    Page(name="periodic_run_now", route="periodic/run-now/", title="Run now", view=run_now, in_menu=False),
]
