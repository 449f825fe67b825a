"""Wire scalejobs into Django: checks, settings reload, and each slice's start-up work."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks
from django.core.signals import setting_changed


class ScalejobsConfig(AppConfig):
    """The ``scalejobs`` Django app."""

    name = "scalejobs"
    verbose_name = "Scalejobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import conf
        from .checks import check_all
        from .kernel.slice import load
        from .slices import SLICES

        checks.register(check_all)
        setting_changed.connect(conf.clear_settings, dispatch_uid="scalejobs.conf.clear_settings")
        # What every process, web or worker, does at start: declare built-in actors and queues, add log filters.
        for slice in SLICES:
            if slice.ready is not None:
                load(slice.ready)()
