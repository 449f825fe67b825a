"""The example project with DEFAULT_STACK and the unique/throttle benchmark's jobs."""

from example_project.settings import *  # noqa: F403

SHOP_TOUR = False  # the demo's extra jobs stay out of the benchmark
from example_project.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
# Workers import bench/unique_throttle_jobs.py, and none of the benchmark scripts.
DRAMATIQ_AUTODISCOVER_MODULES = ("tasks", "unique_throttle_jobs")
DRAMATIQ_IGNORED_MODULES = ["bench.tasks"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
