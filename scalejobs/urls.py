"""URLs scalejobs serves outside the admin: ``path("scalejobs/", include("scalejobs.urls"))``."""

from __future__ import annotations

from django.urls import path

from .metrics.views import metrics

app_name = "scalejobs"

urlpatterns = [
    path("metrics", metrics, name="metrics"),
]
