"""Settings of the side-by-side benchmark's Dramatiq workers and producer, picked by ``$BENCH_SYSTEM``.

- ``plain``: Dramatiq's own Redis broker and default middleware, with the
  jobs of ``bench/performance_plain_jobs.py``;
- ``scalejobs``: the example project as users get it (push broker,
  ``DEFAULT_STACK``), with the jobs of ``bench/performance_jobs.py``; ECS
  protection stays off (``"auto"`` without ``ECS_AGENT_URI``);
- ``protection``: ``scalejobs`` with protection on, against the fake agent
  whose ``ECS_*`` variables the benchmark passes.
"""

import os

from example_project.settings import *  # noqa: F403

SHOP_TOUR = False  # the demo's extra jobs stay out of the benchmark
from example_project.settings import INSTALLED_APPS, SCALEJOBS

SYSTEM = os.environ.get("BENCH_SYSTEM", "scalejobs")

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
DRAMATIQ_IGNORED_MODULES = ["bench.tasks"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

if SYSTEM == "plain":
    from bench.settings_plain import DRAMATIQ_BROKER, SILENCED_SYSTEM_CHECKS  # noqa: F401

    DRAMATIQ_AUTODISCOVER_MODULES = ("tasks", "performance_plain_jobs")
    # The baseline runs Dramatiq's default middleware on purpose; scalejobs' checks flag the missing pieces.
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "scalejobs.W201", "scalejobs.W601", "scalejobs.W801"]
else:
    DRAMATIQ_AUTODISCOVER_MODULES = ("tasks", "performance_jobs")
    if SYSTEM == "protection":
        SCALEJOBS = {**SCALEJOBS, "PROTECTION": {"ENABLED": True}}
