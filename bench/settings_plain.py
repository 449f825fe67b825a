"""The example project on Dramatiq's own Redis broker and default middleware: the baseline."""

from example_project.settings import *  # noqa: F403

SHOP_TOUR = False  # the demo's extra jobs stay out of the benchmark
from example_project.settings import DRAMATIQ_BROKER

DRAMATIQ_BROKER = {
    **DRAMATIQ_BROKER,
    "BROKER": "dramatiq.brokers.redis.RedisBroker",
    "MIDDLEWARE": [
        "dramatiq.middleware.AgeLimit",
        "dramatiq.middleware.TimeLimit",
        "dramatiq.middleware.ShutdownNotifications",
        "dramatiq.middleware.Callbacks",
        "dramatiq.middleware.Pipelines",
        "dramatiq.middleware.Retries",
    ],
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
SILENCED_SYSTEM_CHECKS = ["scalejobs.E707"]  # the baseline runs no Django tasks
