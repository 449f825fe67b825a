"""Build every Redis key scalejobs writes, so each format lives in one place.

Keys are ``<prefix>:<slice>:<part>...``; the prefix comes from
``SCALEJOBS["KEY_PREFIX"]`` so two deployments can share one Redis.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KeySpace:
    """The namespace of one slice, e.g. ``scalejobs:unique``."""

    prefix: str
    slice: str

    def __call__(self, *parts: object) -> str:
        """Return the key for ``parts`` inside this slice."""
        return ":".join((self.prefix, self.slice, *map(str, parts)))
