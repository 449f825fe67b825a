"""``manage.py bootstrap``: migrate, then create or update the admin user from the environment.

The one-shot ``migrate`` service of docker-compose.yml (and a deploy's pre-start
task) runs it. ``DJANGO_SUPERUSER_USERNAME`` and ``DJANGO_SUPERUSER_PASSWORD``
(Django's own ``createsuperuser`` variables, ``DJANGO_SUPERUSER_EMAIL`` optional)
name the user; without them only the migration runs. Running it twice is safe.
"""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Migrate, then create or update the superuser named by DJANGO_SUPERUSER_USERNAME/PASSWORD."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=options["verbosity"])
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        if not username:
            self.stdout.write("No DJANGO_SUPERUSER_USERNAME: no admin user created.")
            return
        if not password:
            raise CommandError("DJANGO_SUPERUSER_PASSWORD is empty: set it to create the admin user.")
        user, created = get_user_model().objects.get_or_create(username=username)
        user.email = os.environ.get("DJANGO_SUPERUSER_EMAIL", user.email)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(f"Admin user {username!r} {'created' if created else 'updated'}.")
