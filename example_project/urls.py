"""URLs of the example project."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("scalejobs/", include("scalejobs.urls")),
    path("", include("example_project.shop.urls")),
]
