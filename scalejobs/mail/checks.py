"""System checks of the mail slice (ids ``scalejobs.E1xx``)."""

from __future__ import annotations

from collections.abc import Iterator

from django.core import checks


def check_mail() -> Iterator[checks.CheckMessage]:
    """Check the mail settings."""
    yield from ()
