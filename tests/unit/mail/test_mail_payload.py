"""A queued email survives the trip to JSON and back, part for part."""

import base64
import datetime as dt
import email
import email.policy
import json
import warnings
from email.message import MIMEPart
from email.mime.base import MIMEBase
from email.mime.text import MIMEText

import django
import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.utils.translation import gettext_lazy

from scalejobs.errors import UnsupportedMessage
from scalejobs.mail import payload

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
DJANGO_6 = django.VERSION >= (6, 0)


def full_message():
    """Return a message using every feature a queue must carry."""
    attached = EmailMessage(
        "Your invoice", "See attached.", "billing@example.com", ["ada@example.com"], headers={"Message-ID": "<inner@example.com>"}
    )
    message = EmailMultiAlternatives(
        subject=gettext_lazy("Welcome to the shop"),
        body="Hello Ada, here is your welcome pack — enjoy.",
        from_email="Shop <shop@example.com>",
        to=["Ada <ada@example.com>", "bob@example.com"],
        cc=["cc@example.com"],
        bcc=["audit@example.com"],
        reply_to=["support@example.com"],
        headers={"X-Campaign": "spring", "X-Priority": "1"},
    )
    message.attach_alternative("<p>Hello <b>Ada</b></p>", "text/html")
    message.attach("notes.txt", "plain notes\nsecond line", "text/plain")
    message.attach("data.csv", b"a,b\n1,2\n", "text/csv")
    message.attach("logo.png", PNG, "image/png")
    message.attach("blob", b"\xff\xfe binary text", "text/plain")  # Undecodable: Django makes it octet-stream.
    message.attach(None, attached, "message/rfc822")
    if DJANGO_6:
        part = MIMEPart()
        part.set_content("x,y\n3,4\n", subtype="csv", disposition="attachment", filename="part.csv")
    else:
        part = MIMEText("x,y\n3,4\n", "csv")
        part.add_header("Content-Disposition", "attachment", filename="part.csv")
    message.attach(part)
    return message


def round_trip(message):
    data = payload.dump(message)
    return data, payload.load(json.loads(json.dumps(data)))


def parts(message):
    """Return every MIME part as (content type, params, headers, decoded payload), boundaries and dates aside."""
    result = []
    for part in message.message().walk():
        headers = [(name, str(value)) for name, value in part.items() if name.lower() not in ("date", "content-type")]
        params = [(key, value) for key, value in (part.get_params() or []) if key != "boundary"]
        body = None if part.is_multipart() else part.get_payload(decode=True)
        result.append((part.get_content_type(), params, headers, body))
    return result


def test_every_part_of_a_full_message_comes_back_the_same():
    message = full_message()
    data, rebuilt = round_trip(message)
    message.extra_headers["Message-ID"] = payload.message_id(data)  # The pinned id, for the comparison.

    original, copied = parts(message), parts(rebuilt)
    assert len(copied) == len(original) >= 10
    for before, after in zip(original, copied, strict=True):
        assert after == before


def test_the_rebuilt_message_has_the_same_fields():
    message = full_message()
    _, rebuilt = round_trip(message)
    assert type(rebuilt) is EmailMultiAlternatives
    assert rebuilt.subject == "Welcome to the shop"
    assert (rebuilt.body, rebuilt.from_email) == (message.body, message.from_email)
    assert (rebuilt.to, rebuilt.cc, rebuilt.bcc, rebuilt.reply_to) == (message.to, message.cc, message.bcc, message.reply_to)
    assert rebuilt.alternatives == message.alternatives
    assert rebuilt.attachments[:4] == message.attachments[:4]
    assert rebuilt.attachments[3] == ("blob", b"\xff\xfe binary text", "application/octet-stream")
    assert rebuilt.attachments[-1].as_bytes() == message.attachments[-1].as_bytes()
    assert isinstance(rebuilt.attachments[-1], MIMEPart if DJANGO_6 else MIMEBase)
    inner = rebuilt.attachments[4]
    assert (inner.filename, inner.mimetype, inner.content.subject) == (None, "message/rfc822", "Your invoice")


def test_binary_content_travels_as_base64_and_text_as_text():
    data, _ = round_trip(full_message())
    by_name = {item.get("filename"): item for item in data["attachments"]}
    assert base64.b64decode(by_name["logo.png"]["base64"]) == PNG
    assert by_name["notes.txt"]["text"] == "plain notes\nsecond line"
    assert data["alternatives"] == [{"mimetype": "text/html", "text": "<p>Hello <b>Ada</b></p>"}]


def test_the_payload_never_holds_the_connection():
    class Connection:
        password = "s3cret"

    message = EmailMessage("s", "b", "a@example.com", ["b@example.com"], connection=Connection())
    data = payload.dump(message)
    assert "s3cret" not in json.dumps(data)
    assert "connection" not in data


def test_a_message_id_is_pinned_once_and_every_rendering_keeps_it():
    data, rebuilt = round_trip(EmailMessage("s", "b", "a@example.com", ["b@example.com"]))
    pinned = payload.message_id(data)
    assert pinned.startswith("<") and pinned.endswith(">")
    assert rebuilt.message()["Message-ID"] == rebuilt.message()["Message-ID"] == pinned
    assert payload.load(data).message()["Message-ID"] == pinned


def test_a_message_id_of_the_caller_is_kept():
    data, rebuilt = round_trip(EmailMessage("s", "b", to=["b@example.com"], headers={"message-id": "<mine@example.com>"}))
    assert data["headers"] == {"message-id": "<mine@example.com>"}
    assert rebuilt.message()["Message-ID"] == "<mine@example.com>"


def test_an_attached_django_message_gets_its_own_pinned_id():
    inner = EmailMessage("inner", "b", to=["b@example.com"])
    outer = EmailMessage("outer", "b", to=["b@example.com"], attachments=[(None, inner, "message/rfc822")])
    data, rebuilt = round_trip(outer)
    inner_id = payload.message_id(data["attachments"][0]["email"])
    assert rebuilt.attachments[0].content.message()["Message-ID"] == inner_id != payload.message_id(data)


def test_an_attached_stdlib_message_is_carried_as_bytes():
    stdlib = email.message_from_string("Subject: forwarded\nMessage-ID: <f@example.com>\n\nhello\n", policy=email.policy.default)
    message = EmailMessage("s", "b", to=["b@example.com"], attachments=[("fwd.eml", stdlib, "message/rfc822")])
    _, rebuilt = round_trip(message)
    content = rebuilt.attachments[0].content
    assert content.as_bytes() == stdlib.as_bytes()
    assert parts(rebuilt) and parts(rebuilt)[-1][3] == parts(message)[-1][3]


def test_content_subtype_and_encoding_come_back():
    message = EmailMessage("Grüße", "<p>Grüße</p>", to=["b@example.com"])
    message.content_subtype = "html"
    message.encoding = "iso-8859-1"
    data, rebuilt = round_trip(message)
    assert (rebuilt.content_subtype, rebuilt.encoding) == ("html", "iso-8859-1")
    part = rebuilt.message()
    assert (part.get_content_type(), part.get_content_charset()) == ("text/html", "iso-8859-1")
    assert payload.load(payload.dump(EmailMessage(to=["b@example.com"]))).content_subtype == "plain"


def test_int_and_datetime_headers_become_the_strings_email_would_write():
    when = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
    data = payload.dump(EmailMessage("s", "b", to=["b@example.com"], headers={"Date": when, "X-Priority": 1}))
    assert data["headers"]["Date"] == "Sun, 01 Mar 2026 09:30:00 +0000"
    assert data["headers"]["X-Priority"] == "1"


def test_a_subclass_of_email_message_is_refused_by_name():
    class Newsletter(EmailMessage):
        pass

    with pytest.raises(UnsupportedMessage) as raised:
        payload.dump(Newsletter("s", "b", to=["b@example.com"]))
    assert str(raised.value) == (
        f"message: {__name__}.test_a_subclass_of_email_message_is_refused_by_name.<locals>.Newsletter is not supported; "
        "queue a django.core.mail.EmailMessage or EmailMultiAlternatives, since a subclass may build its MIME "
        "differently in the worker."
    )
    assert isinstance(raised.value, TypeError)


def test_an_extra_attribute_is_refused_rather_than_dropped():
    message = EmailMessage("s", "b", to=["b@example.com"])
    message.tags = ["welcome"]
    with pytest.raises(UnsupportedMessage, match=r"^message\.tags: attribute 'tags' is not part of a Django email message"):
        payload.dump(message)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda m: m.attach("n.bin", 42, "application/octet-stream"), "attachments[0].content: int is not a string"),
        (lambda m: m.attachments.append("not a triple"), "attachments[0]: str is neither a (filename, content, mimetype) triple nor a MIME part"),
        (lambda m: m.extra_headers.update({"X-Obj": object()}), "headers['X-Obj']: object is not a string"),
        (lambda m: m.to.append(7), "to[1]: int is not a string"),
        (lambda m: setattr(m, "body", b"bytes body"), "body: bytes is not a string"),
    ],
)
def test_content_that_is_not_json_safe_is_named_in_the_error(change, error):
    message = EmailMessage("s", "b", to=["b@example.com"])
    change(message)
    with pytest.raises(UnsupportedMessage) as raised:
        payload.dump(message)
    assert str(raised.value) == error


def test_data_of_an_unknown_format_is_refused():
    data = payload.dump(EmailMessage("s", "b", to=["b@example.com"]))
    with pytest.raises(UnsupportedMessage, match=r"^email: format 99 of class 'EmailMessage' is not one this scalejobs reads"):
        payload.load({**data, "format": 99})


@pytest.mark.skipif(not DJANGO_6, reason="Django 5.2 has no MIMEPart attachments")
def test_a_legacy_mimebase_attachment_still_travels_on_django_6():
    part = MIMEText("legacy", "plain")
    message = EmailMessage("s", "b", to=["b@example.com"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        message.attach(part)
        _, rebuilt = round_trip(message)
        assert rebuilt.attachments[0].as_bytes() == part.as_bytes()
