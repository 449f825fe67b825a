"""No URLs: the URL conf of baseline workers, which must not import the example shop's views.

The shop's views import its jobs, whose scalejobs options (``unique_for``)
Dramatiq's default middleware does not know; the system checks that
``rundramatiq`` runs would import them through ``example_project.urls``.
"""

urlpatterns: list[object] = []
