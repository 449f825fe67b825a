"""The dashboard's actions: POST only, manage permission, each one logged.

Each asks the engine to act, tells the user what happened through Django's
messages, writes the admin log, and goes back to the page it came from.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from ..pages import Page, action, log_action
from ..unique import release_lock
from . import engine
from .params import dead_letter_filter, queue_name
from .queues import Outcome
from .values import QueuedMessage


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = fallback
    return HttpResponseRedirect(target)


def _report(request: HttpRequest, outcome: Outcome, done: str) -> None:
    if outcome is Outcome.DONE:
        messages.success(request, done)
        log_action(request, done)
    elif outcome is Outcome.GONE:
        messages.warning(request, "That message is no longer there: a worker took it, or someone else moved it.")
        log_action(request, f"{done.rstrip('.')}: not done, the message was gone.")
    else:
        messages.warning(request, "A worker holds that message and it is due within seconds; it will run on its own.")
        log_action(request, f"{done.rstrip('.')}: not done, the message was due within seconds.")


def _release_unique_lock(message: QueuedMessage) -> None:
    # A deleted unique job must not keep others out until its lock expires.
    release_lock(message.message_id, message.options)


def _named(message: QueuedMessage | None, redis_id: str) -> str:
    """Name a queued message by its message id, as the pages show it."""
    return message.message_id if message is not None and message.message_id else f"(unreadable {redis_id})"


@action
def delete_message(request: HttpRequest, queue: str) -> HttpResponse:
    """Delete one ready or delayed message (and release its unique lock, if it holds one)."""
    queue = queue_name(queue)
    redis_id = request.POST.get("id", "")
    store = engine().queues
    delayed = request.POST.get("state") == "delayed"
    message = store.message(queue, redis_id, delayed=delayed)
    outcome = store.cancel(queue, redis_id) if delayed else store.delete_ready(queue, redis_id)
    if outcome is Outcome.DONE and message is not None:
        _release_unique_lock(message)
    _report(request, outcome, f"Deleted {'delayed' if delayed else 'ready'} message {_named(message, redis_id)} of queue {queue!r}.")
    return _back(request, reverse("admin:scalejobs_dashboard_queue", args=[queue]))


@action
def enqueue_now(request: HttpRequest, queue: str) -> HttpResponse:
    """Move one delayed message to its ready queue now."""
    queue = queue_name(queue)
    redis_id = request.POST.get("id", "")
    store = engine().queues
    message = store.message(queue, redis_id, delayed=True)
    outcome = store.promote(queue, redis_id)
    _report(request, outcome, f"Moved delayed message {_named(message, redis_id)} of queue {queue!r} to ready.")
    return _back(request, reverse("admin:scalejobs_dashboard_queue", args=[queue]))


def _dead_letter_action(request: HttpRequest, verb: str) -> HttpResponse:
    queue = queue_name(request.POST.get("queue", ""))
    store = engine().dead_letters
    if request.POST.get("scope") == "matching":
        match = dead_letter_filter(request.POST)
        count = store.retry_matching(queue, match) if verb == "Retried" else store.delete_matching(queue, match)
        which = "" if match.is_empty else f" matching actor={match.actor!r} error={match.error!r}"
        done = f"{verb} {count} dead letters of queue {queue!r}{which}."
    else:
        ids = request.POST.getlist("id")
        # Named by message id, as the page lists them; read before a delete takes them away.
        names = store.message_ids(queue, ids)
        count = store.retry(queue, ids) if verb == "Retried" else store.delete(queue, ids)
        done = f"{verb} {count} of {len(ids)} selected dead letters of queue {queue!r}: {', '.join(names)}."
    messages.success(request, done)
    log_action(request, done)
    return _back(request, reverse("admin:scalejobs_dashboard_dead_letters") + f"?queue={queue}")


@action
def retry_dead_letters(request: HttpRequest) -> HttpResponse:
    """Send dead letters back to their queue: the selected ones, or all matching the filter."""
    return _dead_letter_action(request, "Retried")


@action
def delete_dead_letters(request: HttpRequest) -> HttpResponse:
    """Delete dead letters: the selected ones, or all matching the filter."""
    return _dead_letter_action(request, "Deleted")


PAGES = [
    Page(name="dashboard_delete_message", route="queues/<str:queue>/delete/", title="Delete", view=delete_message, in_menu=False),
    Page(name="dashboard_enqueue_now", route="queues/<str:queue>/enqueue-now/", title="Enqueue now", view=enqueue_now, in_menu=False),
    Page(name="dashboard_retry_dead_letters", route="dead-letters/retry/", title="Retry", view=retry_dead_letters, in_menu=False),
    Page(name="dashboard_delete_dead_letters", route="dead-letters/delete/", title="Delete", view=delete_dead_letters, in_menu=False),
]
