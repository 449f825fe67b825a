"""Write the overview ``manage.py scalejobs status`` prints: queues, workers, leader, protection.

Leader and protection belong to other slices; each is asked through its
public query when installed, and shows ``n/a`` otherwise.
"""

from __future__ import annotations

from .values import Overview


def leader_line() -> str:
    """Return which process leads the cluster, ``nobody``, or ``n/a`` without the leader slice."""
    try:
        from ..leader import current_leader
    except ImportError:
        return "n/a"
    leader = current_leader()
    return "nobody" if leader is None else f"{leader.host} pid {leader.pid}"


def protection_line(now: float) -> str:
    """Return how many ECS tasks are protected and which, or ``n/a`` without the protection slice."""
    try:
        from ..protection import protected_tasks
    except ImportError:
        return "n/a"
    tasks = protected_tasks()
    protected = [task.task_arn.rsplit("/", 1)[-1] for task in tasks if task.protected_at(now)]
    listed = f" ({', '.join(protected)})" if protected else ""
    return f"{len(protected)} of {len(tasks)} ECS tasks protected{listed}"


def status_lines(overview: Overview, *, now: float, leader: str, protection: str) -> list[str]:
    """Return the overview as aligned plain-text lines."""
    lines = ["Queues:"]
    if not overview.queues:
        lines.append("  (none)")
    width = max([5, *(len(queue.name) for queue in overview.queues)])
    if overview.queues:
        lines.append(f"  {'name':<{width}}  {'ready':>8}  {'delayed':>8}  {'in flight':>9}  {'dead':>8}  {'latency':>9}")
    for queue in overview.queues:
        lines.append(
            f"  {queue.name:<{width}}  {queue.ready:>8}  {queue.delayed:>8}  {queue.in_flight:>9}  {queue.dead:>8}  "
            f"{queue.latency(now):>8.1f}s"
        )
    lines.append(f"Workers: {len(overview.workers)} ({overview.busy}/{overview.threads} threads busy)")
    for worker in overview.workers:
        state = "stopping" if worker.stopping else "running"
        task = f"  task {worker.ecs_task_arn}" if worker.ecs_task_arn else ""
        lines.append(
            f"  {worker.host} pid {worker.pid}  queues {','.join(worker.queues) or '-'}  busy {worker.busy}/{worker.threads}  "
            f"{state}  heartbeat {max(0.0, now - worker.last_heartbeat):.1f}s ago{task}"
        )
    processed = sum(minute.processed for minute in overview.minutes)
    failed = sum(minute.failed for minute in overview.minutes)
    recovered = ""
    if overview.recovered:
        longest = f", longest {overview.recovery_delay:.1f}s after death" if overview.recovery_delay is not None else ""
        recovered = f", {overview.recovered} recovered from dead workers{longest}"
    lines.append(f"Last hour: {processed} processed, {failed} failed{recovered}")
    lines.append(f"Leader: {leader}")
    lines.append(f"Protection: {protection}")
    return lines
