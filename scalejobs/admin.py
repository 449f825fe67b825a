"""Hang the scalejobs pages in the Django admin, behind its login."""

from __future__ import annotations

from functools import update_wrapper
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path

from .kernel.middleware import listed
from .models import Jobs
from .pages import VIEW_PERMISSION, all_pages


@admin.register(Jobs)
class JobsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in django-stubs only, not at run time
    """Serve every slice's pages below ``admin/scalejobs/jobs/``."""

    def get_urls(self) -> list[URLPattern]:
        def wrap(view: Any) -> Any:
            return update_wrapper(self.admin_site.admin_view(view), view)

        pages = [path(page.route, wrap(page.view), name=f"scalejobs_{page.name}") for page in all_pages()]
        return [*pages, path("", wrap(self.changelist_view), name="scalejobs_jobs_changelist")]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # The scalejobs index is the Dashboard, which links to every other page.
        from .dashboard.views import dashboard

        return dashboard(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(VIEW_PERMISSION)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(VIEW_PERMISSION)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _hide_django_dramatiq_tasks() -> None:
    """Unregister django-dramatiq's "Tasks" admin unless its AdminMiddleware fills it.

    That table records messages only through ``django_dramatiq.middleware.AdminMiddleware``,
    which ``DEFAULT_STACK`` leaves out (a database write per message); without it the
    page is always empty, beside the Jobs pages that show the same messages from Redis.
    """
    if listed("django_dramatiq.AdminMiddleware"):
        return
    try:
        import django_dramatiq.admin  # noqa: F401  (registers Task first, whatever the app order)
        from django_dramatiq.models import Task
    except ImportError:
        return
    if admin.site.is_registered(Task):
        admin.site.unregister(Task)


_hide_django_dramatiq_tasks()
