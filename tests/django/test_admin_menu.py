"""The admin index and the worker start stay free of django-dramatiq's noise: no empty Tasks table, one tasks module."""

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


def test_rundramatiq_discovers_one_tasks_module_of_scalejobs():
    """django-dramatiq walks every module of an app's tasks package; ours is one module."""
    import io

    from django_dramatiq.management.commands.rundramatiq import Command

    command = Command(stdout=io.StringIO())
    modules = command.discover_tasks_modules()

    assert [module for module in modules if module.startswith("scalejobs")] == ["scalejobs.tasks"]
    assert command.stdout.getvalue().count("scalejobs") == 1
