"""Fixtures of the Django tier: staff logins, jobs declared for one test, ``manage.py check`` on given settings."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from django.contrib.auth.models import Permission
from django.test import Client

import scalejobs
from tests.conftest import ROOT


@pytest.fixture
def staff(django_user_model: Any, client: Client) -> Callable[..., Client]:
    """Return ``login(*permissions, client=None)``: a new staff user holding the named scalejobs permissions, logged in.

    The first user is ``ada``, logged into the test's ``client``; each later one (``ada2``, ``ada3``, ...)
    into a new ``Client``, so two users can act side by side. Pass ``client`` to log into that one.
    """
    default: Client = client
    logged_in: list[Client] = []

    def login(*permissions: str, client: Client | None = None) -> Client:
        if client is None:
            client = Client() if logged_in else default
        username = f"ada{len(logged_in) + 1}" if logged_in else "ada"
        user = django_user_model.objects.create_user(username, password="pw", is_staff=True)
        user.user_permissions.set(Permission.objects.filter(codename__in=permissions, content_type__app_label="scalejobs"))
        client.force_login(user)
        logged_in.append(client)
        return client

    return login


@pytest.fixture
def declared_job() -> Iterator[Callable[..., dramatiq.Actor]]:
    """Return ``declare(name, **options)``: a job declared on the broker for this test only."""
    broker = dramatiq.get_broker()
    names: list[str] = []

    def declare(name: str, **options: Any) -> dramatiq.Actor:
        names.append(name)
        return scalejobs.job(actor_name=name, **options)(lambda: None)

    yield declare
    for name in names:
        broker.actors.pop(name, None)


@pytest.fixture
def manage_py_check(tmp_path: Path) -> Callable[[str], subprocess.CompletedProcess[str]]:
    """Return ``check(settings)``: ``manage.py check`` run on ``tests.settings`` plus the given lines of Python."""

    def check(settings: str) -> subprocess.CompletedProcess[str]:
        (tmp_path / "checked_settings.py").write_text(f"from tests.settings import *\n{settings}\n")
        return subprocess.run(
            [sys.executable, "manage.py", "check", "--settings", "checked_settings"],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"},
            capture_output=True,
            text=True,
        )

    return check
