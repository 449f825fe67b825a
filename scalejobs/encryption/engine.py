"""Seal job arguments so Redis holds them encrypted and authenticated.

A ``Keyring`` is built from one or more secrets: the first encrypts, every
one decrypts, so keys rotate by putting the new secret first and keeping the
old one until the jobs it sealed have run. Each secret is stretched with
HKDF-SHA256 into a Fernet key (AES-128-CBC with HMAC-SHA256, from the
``cryptography`` package), so any long random string serves, Django's
``SECRET_KEY`` included. ``digest`` names a value (a unique or throttle key)
by a keyed HMAC, so Redis never holds the clear value and nobody without the
key can test guesses against it.

A sealed message stores ``args=[]`` and ``kwargs={SEALED: token}``; nothing
else of its arguments leaves the process that sent it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..errors import UndecryptableArguments

#: The one keyword argument a sealed message stores: the Fernet token of its arguments.
SEALED = "scalejobs_sealed"
# Context strings of HKDF: the encryption and digest keys of one secret never coincide.
_ENCRYPTION_INFO = b"scalejobs job arguments v1"
_DIGEST_INFO = b"scalejobs key digests v1"
# Hex characters of a digest: 160 bits, as the unique locks' digests.
DIGEST_LENGTH = 40


def _derive(secret: str | bytes, info: bytes) -> bytes:
    material = secret.encode() if isinstance(secret, str) else secret
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material)


class Keyring:
    """Encrypt with the first secret, decrypt with any of them."""

    def __init__(self, secrets: Sequence[str | bytes]) -> None:
        if not secrets:
            raise ValueError("Keyring: give at least one secret")
        self._fernet = MultiFernet([Fernet(base64.urlsafe_b64encode(_derive(secret, _ENCRYPTION_INFO))) for secret in secrets])
        self._digest_key = _derive(secrets[0], _DIGEST_INFO)

    def seal(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
        """Return the token that carries ``args`` and ``kwargs``, encrypted and authenticated."""
        data = json.dumps([list(args), dict(kwargs)], separators=(",", ":"), ensure_ascii=False)
        return self._fernet.encrypt(data.encode()).decode("ascii")

    def unseal(self, token: object, *, actor: str = "the job") -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Return the arguments sealed in ``token``; raise ``UndecryptableArguments`` if no key opens it."""
        if not isinstance(token, str):
            raise UndecryptableArguments(f"{actor}: the sealed arguments are {type(token).__name__}, not a token.")
        try:
            args, kwargs = json.loads(self._fernet.decrypt(token.encode("ascii")))
        except InvalidToken:
            raise UndecryptableArguments(
                f"{actor}: no key in SCALEJOBS['ENCRYPTION']['KEYS'] (or SECRET_KEY and SECRET_KEY_FALLBACKS) "
                "decrypts its arguments; keep an old key in the list until the jobs it sealed have run."
            ) from None
        except (UnicodeError, ValueError, TypeError) as error:
            raise UndecryptableArguments(f"{actor}: the sealed arguments are not a valid token: {error}") from None
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise UndecryptableArguments(f"{actor}: the sealed arguments are not [args, kwargs].")
        return tuple(args), kwargs

    def digest(self, value: str) -> str:
        """Return a keyed digest of ``value``: equal values give equal digests under the same first key."""
        return hmac.new(self._digest_key, value.encode(), hashlib.sha256).hexdigest()[:DIGEST_LENGTH]


def sealed_token(kwargs: object) -> str | None:
    """Return the token of stored arguments that are sealed, else ``None``."""
    if isinstance(kwargs, dict) and len(kwargs) == 1 and SEALED in kwargs:
        token = kwargs[SEALED]
        return token if isinstance(token, str) else ""
    return None


#: What replaces an exception's message in the traceback of a sealed job.
HIDDEN = "(message hidden: the job's arguments are encrypted)"
_KEPT_LINES = ("Traceback (most recent call last):", "During handling of the above exception", "The above exception was the direct cause")


def redact_traceback(text: str) -> str:
    """Return ``text`` with each exception's message replaced by ``HIDDEN``; frames and types stay.

    An exception's message often quotes the values it failed on (an SMTP
    error names the recipients), so a sealed job's traceback keeps only
    where it failed and with which exception type.
    """
    lines = []
    for line in text.splitlines():
        if line.startswith(" ") or line.startswith(_KEPT_LINES) or not line.strip():
            lines.append(line)
        else:
            kind = line.split(":", 1)[0].strip()
            if kind.replace(".", "").replace("_", "").isalnum():
                lines.append(f"{kind}: {HIDDEN}")
    return "\n".join(lines)
