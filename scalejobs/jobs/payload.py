"""Refuse job arguments that would not survive a JSON round trip.

Dramatiq encodes messages as JSON, so a ``datetime`` or a ``Decimal`` fails
deep inside the broker with a message that names no argument, and an ``int``
dict key silently comes back as a ``str``. ``check_arguments`` finds the
first offending value and names its path, e.g. ``kwargs['when']``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

_SCALARS = (str, int, bool, type(None))


def check_arguments(
    args: tuple[Any, ...] | list[Any], kwargs: Mapping[str, Any], *, args_path: str = "args", kwargs_path: str = "kwargs"
) -> None:
    """Raise ``TypeError`` naming the first argument that is not JSON-safe.

    The path in the message starts with ``args_path`` or ``kwargs_path``, so
    a batch can name the message too, e.g. ``args_list[3][0]``.
    """
    for index, value in enumerate(args):
        _check(value, f"{args_path}[{index}]")
    for name, value in kwargs.items():
        _check(value, f"{kwargs_path}[{name!r}]")


def _check(value: Any, path: str) -> None:
    kind = type(value)
    if kind in _SCALARS:
        return
    if kind is float:
        if not math.isfinite(value):
            raise TypeError(f"{path}: {value!r} is not JSON serializable (not a finite number)")
        return
    if kind is list or kind is tuple:
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
        return
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError(f"{path}: dict key {key!r} is not a string, and JSON would turn it into one")
            _check(item, f"{path}[{key!r}]")
        return
    if isinstance(value, (str, int)):
        return
    raise TypeError(f"{path}: {kind.__name__} is not JSON serializable")
