"""Wire scalejobs into Django: checks, settings reload, and the built-in jobs."""

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

        checks.register(check_all)
        setting_changed.connect(conf.clear_settings, dispatch_uid="scalejobs.conf.clear_settings")
        from .encryption import logs

        logs.install()
        # Declare the built-in actors in web and worker processes alike.
        from .mail import jobs  # noqa: F401
        from .tasks_backend.checks import declare_queues

        # Workers consume only queues declared in their process: declare every task queue.
        declare_queues()
