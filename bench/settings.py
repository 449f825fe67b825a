"""The one settings module of the benchmarks: the example project as users get it, plus ``$BENCH_OVERRIDES``.

The example project's push broker and ``DEFAULT_STACK``, quiet logging,
none of the demo's extra jobs; the ``bench`` app is installed so workers
can discover a scenario's jobs (``bench/jobs/``). Each scenario states
what it changes as overrides (``bench/overrides.py``).
"""

from example_project.settings import *  # noqa: F403
from example_project.settings import DRAMATIQ_BROKER, INSTALLED_APPS, SCALEJOBS

from bench.overrides import current, merge

SHOP_TOUR = False  # the demo's extra jobs stay out of the benchmarks
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
DRAMATIQ_AUTODISCOVER_MODULES = ["tasks"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
SILENCED_SYSTEM_CHECKS: list[str] = []

globals().update(
    merge(
        {"DRAMATIQ_BROKER": DRAMATIQ_BROKER, "SCALEJOBS": SCALEJOBS},
        current(),
    )
)
