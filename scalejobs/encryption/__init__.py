"""Encrypted job arguments: ``@scalejobs.job(encrypt=True)`` and queued email.

``keyring()`` builds the ``Keyring`` (``engine.py``) from
``SCALEJOBS["ENCRYPTION"]["KEYS"]``, or from ``SECRET_KEY`` and
``SECRET_KEY_FALLBACKS`` when that is ``None``. ``SealedMessage``
(``message.py``) keeps the arguments in clear in memory, for the enqueue
middleware, and encrypts them as it is encoded for Redis; the job's actor
decrypts them in the worker, just before the job runs (``Job.__call__``).
"""

from __future__ import annotations

import functools

from ..conf import django_setting, get_settings
from ..errors import ConfigurationError
from .engine import SEALED, Keyring, redact_traceback, sealed_token

__all__ = ["SEALED", "Keyring", "SealedMessage", "is_sealed", "keyring", "opaque", "redact_traceback", "seal", "sealed_token"]


def keyring() -> Keyring:
    """Return the keyring of the configured secrets."""
    keys = get_settings().encryption.keys
    if keys is None:
        secret = django_setting("SECRET_KEY") or ""
        if not secret:
            raise ConfigurationError(
                "SCALEJOBS['ENCRYPTION']['KEYS']",
                "is None and SECRET_KEY is empty, so there is no key to encrypt job arguments with.",
                "Set SECRET_KEY, or list secrets in SCALEJOBS['ENCRYPTION']['KEYS'].",
            )
        keys = (secret, *(key for key in django_setting("SECRET_KEY_FALLBACKS", []) if key))
    return _keyring(tuple(keys))


@functools.lru_cache(maxsize=8)
def _keyring(secrets: tuple[str, ...]) -> Keyring:
    return Keyring(secrets)


# Last: the sealed message reads the keyring above.
from .message import SealedMessage, is_sealed, opaque, seal  # noqa: E402
