"""The benchmark settings with the Dashboard middleware taken out of the stack."""

from bench.settings_scalejobs import *  # noqa: F403
from bench.settings_scalejobs import DRAMATIQ_BROKER

DRAMATIQ_BROKER = {
    **DRAMATIQ_BROKER,
    "MIDDLEWARE": [path for path in DRAMATIQ_BROKER["MIDDLEWARE"] if path != "scalejobs.middleware.Dashboard"],
}
