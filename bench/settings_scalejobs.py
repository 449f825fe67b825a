"""The example project with scalejobs' DEFAULT_STACK, for benchmarks."""

from example_project.settings import *  # noqa: F403

SHOP_TOUR = False  # the demo's extra jobs stay out of the benchmark

LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
