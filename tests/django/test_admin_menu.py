"""The admin index shows the Jobs pages, and not django-dramatiq's always-empty Tasks table."""

from __future__ import annotations

from django.contrib import admin
from django_dramatiq.models import Task

from scalejobs.middleware import DEFAULT_STACK


def test_django_dramatiqs_tasks_admin_is_hidden_when_its_middleware_is_not_listed():
    assert "django_dramatiq.middleware.AdminMiddleware" not in DEFAULT_STACK
    assert not admin.site.is_registered(Task)


def test_the_admin_index_lists_jobs_but_no_dramatiq_tasks(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert "/admin/scalejobs/jobs/" in html
    assert "/admin/django_dramatiq/task/" not in html
