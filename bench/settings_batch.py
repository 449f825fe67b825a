"""The example project with DEFAULT_STACK and the batch benchmark's jobs."""

from example_project.settings import *  # noqa: F403
from example_project.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
# Workers import bench/batch_jobs.py, and none of the benchmark scripts.
DRAMATIQ_AUTODISCOVER_MODULES = ("tasks", "batch_jobs")
DRAMATIQ_IGNORED_MODULES = ["bench.tasks"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
