"""Settings of the autoscaling simulation's worker tasks (``bench/autoscale.py``).

Each task runs with its own fake ECS agent (the ``ECS_*`` variables the
simulation passes), so protection is on and the metrics go out as EMF lines
on the task's output, every 10 s (the shortest interval allowed).
"""

from example_project.settings import *  # noqa: F403
from example_project.settings import INSTALLED_APPS, SCALEJOBS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
DRAMATIQ_AUTODISCOVER_MODULES = ("tasks", "autoscale_jobs")
DRAMATIQ_IGNORED_MODULES = ["bench.tasks"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

SCALEJOBS = {
    **SCALEJOBS,
    "METRICS": {"EMF": True, "INTERVAL_SECONDS": 10, "DIMENSIONS": {"Service": "worker"}},
    "PROTECTION": {"ENABLED": True, "IDLE_GRACE_SECONDS": 2.0, "TICK_SECONDS": 0.5, "SHUTDOWN_BUDGET_SECONDS": 25.0},
    "DASHBOARD": {"HEARTBEAT_SECONDS": 1.0, "WORKER_TIMEOUT_SECONDS": 10},
}
