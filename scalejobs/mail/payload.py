"""Turn a Django email message into JSON-safe data, and back, part for part.

A queued message crosses into a worker as JSON, so ``dump`` keeps plain data
only: strings, lists, and base64 for bytes. ``load`` rebuilds an equal
message: the same class, headers, bodies, alternatives and attachments, in
the same order. Carried: subject, body and from_email (lazy strings
resolved), to, cc, bcc, reply_to, extra headers, content_subtype, encoding,
alternatives, and attachments given as (filename, content, mimetype) with
str or bytes content, a Django message or an ``email`` message attached as
message/rfc822, or a ready MIME part (``MIMEBase``, ``MIMEPart``) as its
bytes. Never carried: the connection, and so no credential ever.

``dump`` pins a ``Message-ID`` header when the message has none, because
Django makes a new one on every ``message()`` call: a retried delivery must
not look like a second email to the recipient's server.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
from email.message import Message, MIMEPart
from email.mime.base import MIMEBase
from email.utils import format_datetime
from typing import Any

import dramatiq
from django.core.mail import EmailAlternative, EmailAttachment, EmailMessage, EmailMultiAlternatives, make_msgid
from django.core.mail.utils import DNS_NAME
from django.utils.functional import Promise

from ..errors import UnsupportedMessage

#: Bumped when the layout changes, so a worker refuses data it cannot read.
FORMAT = 1

_CLASSES: dict[str, type[EmailMessage]] = {
    "EmailMessage": EmailMessage,
    "EmailMultiAlternatives": EmailMultiAlternatives,
}

# Instance attributes that dump() carries, or knowingly leaves behind (the connection).
_KNOWN_ATTRIBUTES = frozenset(
    {
        "subject", "body", "from_email", "to", "cc", "bcc", "reply_to", "extra_headers",
        "attachments", "alternatives", "content_subtype", "encoding",
        "mixed_subtype", "alternative_subtype", "connection", "_connection",
    }
)  # fmt: skip

# Undocumented Django 5.2 attributes that Django 6 removed.
_SUBTYPES = ("mixed_subtype", "alternative_subtype")


class _ParsedMIMEBase(MIMEBase):
    """A ``MIMEBase`` the parser can build: every header comes from the parsed bytes."""

    def __init__(self, *, policy: Any = email.policy.compat32) -> None:
        Message.__init__(self, policy=policy)


def dump(message: EmailMessage) -> dict[str, Any]:
    """Return ``message`` as JSON-safe data, with a ``Message-ID`` pinned."""
    kind = type(message).__name__
    if _CLASSES.get(kind) is not type(message):
        raise UnsupportedMessage(
            f"message: {type(message).__module__}.{type(message).__qualname__} is not supported; "
            "queue a django.core.mail.EmailMessage or EmailMultiAlternatives, since a subclass "
            "may build its MIME differently in the worker."
        )
    unknown = sorted(set(vars(message)) - _KNOWN_ATTRIBUTES)
    if unknown:
        raise UnsupportedMessage(
            f"message.{unknown[0]}: attribute {unknown[0]!r} is not part of a Django email message, "
            "so a worker could not send it; put the information in the headers or the body."
        )
    headers = {_text(name, "headers key"): _header(value, f"headers[{name!r}]") for name, value in message.extra_headers.items()}
    if not any(name.lower() == "message-id" for name in headers):
        headers["Message-ID"] = make_msgid(domain=DNS_NAME)
    data: dict[str, Any] = {
        "format": FORMAT,
        "class": kind,
        "subject": _text(message.subject, "subject"),
        "body": _text(message.body, "body"),
        "from_email": _text(message.from_email, "from_email"),
        "to": _addresses(message.to, "to"),
        "cc": _addresses(message.cc, "cc"),
        "bcc": _addresses(message.bcc, "bcc"),
        "reply_to": _addresses(message.reply_to, "reply_to"),
        "headers": headers,
        "content_subtype": _text(message.content_subtype, "content_subtype"),
        "encoding": None if message.encoding is None else _text(message.encoding, "encoding"),
        "attachments": [_attachment(item, f"attachments[{index}]") for index, item in enumerate(message.attachments)],
    }
    if isinstance(message, EmailMultiAlternatives):
        data["alternatives"] = [
            {"mimetype": _text(mimetype, f"alternatives[{index}].mimetype"), **_content(content, f"alternatives[{index}].content")}
            for index, (content, mimetype) in enumerate(message.alternatives)
        ]
    for name in _SUBTYPES:
        value = getattr(message, name, None)
        if value is not None and value != getattr(type(message), name, None):
            data[name] = _text(value, name)
    return data


def load(data: dict[str, Any]) -> EmailMessage:
    """Rebuild the message that ``dump`` turned into ``data``."""
    if data.get("format") != FORMAT or data.get("class") not in _CLASSES:
        raise UnsupportedMessage(
            f"email: format {data.get('format')!r} of class {data.get('class')!r} is not one this "
            f"scalejobs reads (format {FORMAT}); upgrade the worker to the web's scalejobs version."
        )
    cls = _CLASSES[data["class"]]
    message = cls(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        reply_to=data["reply_to"],
        headers=dict(data["headers"]),
    )
    if data["content_subtype"] != cls.content_subtype:
        message.content_subtype = data["content_subtype"]
    if data["encoding"] is not None:
        message.encoding = data["encoding"]
    for name in _SUBTYPES:
        if name in data:
            setattr(message, name, data[name])
    message.attachments = [_load_attachment(item) for item in data["attachments"]]
    if isinstance(message, EmailMultiAlternatives):
        message.alternatives = [EmailAlternative(_load_content(item), item["mimetype"]) for item in data["alternatives"]]
    return message


def message_id(data: dict[str, Any]) -> str | None:
    """Return the ``Message-ID`` that ``data`` will be sent with."""
    return next((value for name, value in data["headers"].items() if name.lower() == "message-id"), None)


def encoded_size(data: dict[str, Any]) -> int:
    """Return how many bytes ``data`` takes once Dramatiq's encoder has encoded it."""
    return len(dramatiq.get_encoder().encode(data))


def _text(value: Any, path: str) -> str:
    if isinstance(value, (str, Promise)):
        return str(value)
    raise UnsupportedMessage(f"{path}: {type(value).__name__} is not a string")


def _addresses(values: Any, path: str) -> list[str]:
    return [_text(value, f"{path}[{index}]") for index, value in enumerate(values)]


def _header(value: Any, path: str) -> str:
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value, path)


def _content(content: Any, path: str) -> dict[str, str]:
    if isinstance(content, (bytes, bytearray, memoryview)):
        return {"base64": base64.b64encode(content).decode("ascii")}
    return {"text": _text(content, path)}


def _load_content(item: dict[str, Any]) -> str | bytes:
    if "base64" in item:
        return base64.b64decode(item["base64"])
    return str(item["text"])


def _attachment(item: Any, path: str) -> dict[str, Any]:
    if isinstance(item, MIMEBase):
        return {"mime": "MIMEBase", "base64": base64.b64encode(item.as_bytes()).decode("ascii")}
    if isinstance(item, MIMEPart):
        return {"mime": "MIMEPart", "base64": base64.b64encode(item.as_bytes()).decode("ascii")}
    if not isinstance(item, (tuple, list)) or len(item) != 3:
        raise UnsupportedMessage(f"{path}: {type(item).__name__} is neither a (filename, content, mimetype) triple nor a MIME part")
    filename, content, mimetype = item
    data: dict[str, Any] = {
        "filename": None if filename is None else _text(filename, f"{path}.filename"),
        "mimetype": None if mimetype is None else _text(mimetype, f"{path}.mimetype"),
    }
    if isinstance(content, EmailMessage):
        data["email"] = dump(content)
    elif isinstance(content, Message):
        policy = "default" if isinstance(content, MIMEPart) else "compat32"
        data["message"] = {"policy": policy, "base64": base64.b64encode(content.as_bytes()).decode("ascii")}
    else:
        data.update(_content(content, f"{path}.content"))
    return data


def _load_attachment(item: dict[str, Any]) -> Any:
    if item.get("mime") == "MIMEBase":
        return email.message_from_bytes(base64.b64decode(item["base64"]), _class=_ParsedMIMEBase)
    if item.get("mime") == "MIMEPart":
        return email.message_from_bytes(base64.b64decode(item["base64"]), policy=email.policy.default)
    content: Any
    if "email" in item:
        content = load(item["email"])
    elif "message" in item:
        policy = email.policy.default if item["message"]["policy"] == "default" else email.policy.compat32
        content = email.message_from_bytes(base64.b64decode(item["message"]["base64"]), policy=policy)
    else:
        content = _load_content(item)
    return EmailAttachment(item["filename"], content, item["mimetype"])
