"""Declare a settings section once, and read the user's dict against it.

A section is a frozen dataclass whose fields are made by ``setting(default,
doc, rule)``: the default, a one-line doc (the README's settings reference
is rendered from it) and the ``Rule`` the value must pass. ``read_section``
merges the user's dict over the defaults, rejects unknown keys (suggesting
the closest one), checks each value in field order and builds the section.
A rule sees the values read before it, so a field may be bounded by an
earlier one (``RENEW_SECONDS`` by ``LEASE_SECONDS``).

Errors are ``ConfigurationError``: ``SCALEJOBS['THROTTLE']['BACKOFF']:
expected a positive number of seconds, got -1.``
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import Field, dataclass, field, fields
from typing import Any, TypeVar

from ..errors import ConfigurationError

T = TypeVar("T")

# A rule's test: the value, and the section's values read before it, by key.
Test = Callable[[Any, Mapping[str, Any]], bool]


def _anything(value: Any, given: Mapping[str, Any]) -> bool:
    return True


def _as_given(value: Any, name: str) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class Rule:
    """What a setting accepts: ``expected`` names it in errors, ``test`` decides, ``convert`` types it."""

    expected: str
    test: Test = _anything
    # Turns an accepted value into the section's type; gets the setting's name for its own errors.
    convert: Callable[[Any, str], Any] = _as_given


@dataclass(frozen=True, slots=True)
class Setting:
    """One declared setting: its default as the user would write it, its doc and its rule."""

    default: Any
    doc: str
    rule: Rule


def setting(default: Any, doc: str, rule: Rule, *, repr: bool = True) -> Any:  # noqa: A002
    """Declare a field of a settings section: its default, a one-line doc, and the rule it must pass."""
    value = rule.convert(default, "")
    metadata = {"setting": Setting(default, doc, rule)}
    if type(value).__hash__ is None:
        # A dict or list default: each instance gets its own, as dataclasses require.
        return field(default_factory=lambda: rule.convert(default, ""), repr=repr, metadata=metadata)
    return field(default=value, repr=repr, metadata=metadata)


def declared(section: type, *, key: Callable[[str], str] = str.upper) -> dict[str, Field[Any]]:
    """Return the fields ``section`` declares with ``setting()``, by the key users write."""
    return {key(item.name): item for item in fields(section) if "setting" in item.metadata}


def setting_of(item: Field[Any]) -> Setting:
    """Return the ``Setting`` a field was declared with."""
    found: Setting = item.metadata["setting"]
    return found


def read_values(section: type, given: Any, name: str, *, key: Callable[[str], str] = str.upper) -> dict[str, Any]:
    """Check ``given`` (the user's dict at ``name``) against ``section`` and return its fields' values."""
    keys = declared(section, key=key)
    require_dict(given, name)
    reject_unknown(given, keys, name)
    earlier: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for setting_key, item in keys.items():
        rule = setting_of(item).rule
        value = given.get(setting_key, setting_of(item).default)
        at = f"{name}[{setting_key!r}]"
        if not rule.test(value, earlier):
            raise ConfigurationError(at, f"expected {rule.expected}, got {value!r}.", f"Set {at} to {rule.expected}.")
        earlier[setting_key] = value
        values[item.name] = rule.convert(value, at)
    return values


def read_section(section: type[T], given: Any, name: str, /, *, key: Callable[[str], str] = str.upper, **extra: Any) -> T:
    """Check ``given`` against ``section`` and build it; ``extra`` fills fields that are not settings."""
    return section(**read_values(section, given, name, key=key), **extra)


def defaults(section: type, *, key: Callable[[str], str] = str.upper) -> dict[str, Any]:
    """Return the defaults of ``section`` as a user would write them, by key."""
    return {setting_key: setting_of(item).default for setting_key, item in declared(section, key=key).items()}


def require_dict(given: Any, name: str) -> None:
    """Raise ``ConfigurationError`` unless ``given`` is a dict."""
    if not isinstance(given, Mapping):
        raise ConfigurationError(name, f"expected a dict, got {given!r}.", f"Set {name} to a dict.")


def reject_unknown(given: Mapping[str, Any], known: Iterable[str], name: str) -> None:
    """Raise ``ConfigurationError`` for the first key of ``given`` not in ``known``, suggesting the closest."""
    known = list(known)
    for setting_key in given:
        if setting_key not in known:
            close = difflib.get_close_matches(str(setting_key), known, n=1)
            hint = f"Did you mean {close[0]!r}?" if close else f"Valid keys: {', '.join(sorted(known))}."
            raise ConfigurationError(f"{name}[{setting_key!r}]", "is not a scalejobs setting.", hint)


def is_number(value: Any) -> bool:
    """Tell whether ``value`` is a real number, not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_int(value: Any) -> bool:
    """Tell whether ``value`` is an int, not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def _to_float(value: Any, name: str) -> Any:
    return None if value is None else float(value)


def number(expected: str, test: Test) -> Rule:
    """Accept a number (not a bool) that passes ``test``, read as a float."""
    return Rule(expected, lambda value, given: is_number(value) and test(value, given), _to_float)


def integer(expected: str, test: Test) -> Rule:
    """Accept an int (not a bool) that passes ``test``."""
    return Rule(expected, lambda value, given: is_int(value) and test(value, given))


def text(expected: str) -> Rule:
    """Accept a non-empty string."""
    return Rule(expected, lambda value, given: isinstance(value, str) and bool(value))


def text_or_none(expected: str) -> Rule:
    """Accept a string, or ``None``."""
    return Rule(expected, lambda value, given: value is None or isinstance(value, str))


def dotted_path(expected: str) -> Rule:
    """Accept a dotted import path."""
    return Rule(expected, lambda value, given: isinstance(value, str) and "." in value)


def one_of(expected: str, *choices: Any) -> Rule:
    """Accept one of ``choices`` exactly (``1`` is not ``True``)."""
    return Rule(expected, lambda value, given: any(value == choice and type(value) is type(choice) for choice in choices))


def or_none(rule: Rule, expected: str) -> Rule:
    """Accept ``None`` or what ``rule`` accepts."""
    return Rule(expected, lambda value, given: value is None or rule.test(value, given), rule.convert)


FLAG = Rule("bool", lambda value, given: isinstance(value, bool))
SECONDS = number("a positive number of seconds", lambda value, given: value > 0)
SECONDS_OR_ZERO = number("seconds >= 0", lambda value, given: value >= 0)
POSITIVE_INT = integer("a positive int", lambda value, given: value > 0)
COUNT = integer("an int >= 0", lambda value, given: value >= 0)
