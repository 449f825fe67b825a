"""Read Redis replies: the broker's client answers bytes, a decoding client answers str."""

from __future__ import annotations


def text(value: object) -> str:
    """Return a Redis reply (bytes, str or a number) as text."""
    return value.decode() if isinstance(value, bytes) else str(value)
