"""A table-less model that carries the admin permissions of scalejobs.

The scalejobs pages live in Redis, not in tables; this model exists so the
Django admin lists them and so staff can be granted ``view_jobs`` (see
every page), ``view_job_arguments`` (see the arguments of jobs, which may
hold personal data or secrets, in clear) and ``manage_jobs`` (act: retry,
delete, pause...).
"""

from django.db import models


class Jobs(models.Model):
    """The scalejobs admin section; no rows, only permissions."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_jobs", "Can view scalejobs pages"),
            ("manage_jobs", "Can act on jobs from the scalejobs pages"),
            ("view_job_arguments", "Can view job arguments on the scalejobs pages"),
        ]
        verbose_name = "jobs"
        verbose_name_plural = "jobs"
