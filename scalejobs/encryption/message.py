"""``SealedMessage``: a message whose arguments are encrypted as it is encoded.

In the sending process the message keeps its arguments in clear, so the
enqueue middleware (a unique job's identity, a throttle key) reads them as
for any job; ``asdict()``, which ``encode()`` and every broker write go
through, replaces them with one token. Copies (delays, retries) stay sealed.
Its ``str`` and ``repr`` never show the arguments, so no log line does.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import dramatiq

from . import keyring
from .engine import SEALED, sealed_token


@dataclasses.dataclass(frozen=True, repr=False)
class SealedMessage(dramatiq.Message):  # type: ignore[type-arg]
    """A ``dramatiq.Message`` that Redis only ever holds encrypted."""

    def asdict(self) -> dict[str, Any]:
        """Return the message as stored: its arguments sealed into ``kwargs``."""
        fields = super().asdict()
        fields["args"] = ()
        fields["kwargs"] = {SEALED: keyring().seal(self.args, self.kwargs)}
        return fields

    def __str__(self) -> str:
        return f"{self.actor_name}(<encrypted>)"

    def __repr__(self) -> str:
        return f"SealedMessage(actor_name={self.actor_name!r}, message_id={self.message_id!r}, queue_name={self.queue_name!r})"


def seal(message: dramatiq.Message[Any]) -> SealedMessage:
    """Return ``message`` as a ``SealedMessage``."""
    if isinstance(message, SealedMessage):
        return message
    fields = {field.name: getattr(message, field.name) for field in dataclasses.fields(message)}
    return SealedMessage(**fields)


@dataclasses.dataclass(frozen=True, repr=False)
class ReadSealedMessage(dramatiq.Message):  # type: ignore[type-arg]
    """A sealed message as a worker reads it back: the token stays in ``kwargs``, logs never show it."""

    def __str__(self) -> str:
        return f"{self.actor_name}(<encrypted>)"

    def __repr__(self) -> str:
        return f"ReadSealedMessage(actor_name={self.actor_name!r}, message_id={self.message_id!r}, queue_name={self.queue_name!r})"


def opaque(message: dramatiq.Message[Any]) -> dramatiq.Message[Any]:
    """Return ``message`` so that printing it never shows its token, when it is sealed."""
    if type(message) is not dramatiq.Message or sealed_token(message.kwargs) is None:
        return message
    fields = {field.name: getattr(message, field.name) for field in dataclasses.fields(message)}
    return ReadSealedMessage(**fields)


def is_sealed(message: dramatiq.Message[Any] | dramatiq.MessageProxy) -> bool:
    """Tell whether ``message`` keeps its arguments encrypted in Redis."""
    return isinstance(message, SealedMessage) or sealed_token(message.kwargs) is not None
