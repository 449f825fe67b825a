"""The benchmark settings with the Dashboard middleware's per-minute metrics turned off."""

from bench.settings_scalejobs import *  # noqa: F403
from bench.settings_scalejobs import SCALEJOBS

SCALEJOBS = {**SCALEJOBS, "DASHBOARD": {"METRICS": False}}
