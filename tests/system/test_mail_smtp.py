"""A real worker delivers a queued multipart email to a real SMTP server, every part intact."""

import email
import email.policy

import pytest
from django.core.mail import EmailMultiAlternatives

import scalejobs
from scalejobs.mail import payload
from tests.conftest import wait_for

pytestmark = pytest.mark.system

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
HTML = "<html><body><p>Hello <b>Ada</b>, your export is attached.</p></body></html>"
TEXT = "Hello Ada,\nyour export is attached.\n"


def text_of(part):
    return part.get_content().replace("\r\n", "\n")


def test_a_worker_delivers_html_and_a_binary_attachment_to_a_real_smtp_server(broker, start_worker, smtp_server):
    port, inbox = smtp_server
    worker = start_worker("--processes", "1", "--threads", "1", env={"SCALEJOBS_TEST_SMTP_PORT": str(port)})
    message = EmailMultiAlternatives(
        subject="Your export is ready",
        body=TEXT,
        from_email="Shop <shop@example.com>",
        to=["Ada Lovelace <ada@example.com>"],
        cc=["bob@example.com"],
        bcc=["audit@example.com"],
        reply_to=["support@example.com"],
        headers={"X-Campaign": "exports"},
    )
    message.attach_alternative(HTML, "text/html")
    message.attach("export.png", PNG, "image/png")

    queued = scalejobs.deliver_later(message)
    message_id = payload.message_id(queued.kwargs["email"])
    try:
        wait_for(lambda: inbox.envelopes, timeout=60)
    except AssertionError as error:
        raise AssertionError(f"no email arrived; the worker said:\n{worker.output()}") from error
    [envelope] = inbox.envelopes

    assert envelope.mail_from == "shop@example.com"
    assert sorted(envelope.rcpt_tos) == ["ada@example.com", "audit@example.com", "bob@example.com"]
    received = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert {name: str(received[name]) for name in ("Subject", "From", "To", "Cc", "Reply-To", "X-Campaign", "Message-ID")} == {
        "Subject": "Your export is ready",
        "From": "Shop <shop@example.com>",
        "To": "Ada Lovelace <ada@example.com>",
        "Cc": "bob@example.com",
        "Reply-To": "support@example.com",
        "X-Campaign": "exports",
        "Message-ID": message_id,
    }
    assert "Bcc" not in received

    assert received.get_content_type() == "multipart/mixed"
    alternatives, attachment = received.iter_parts()
    assert alternatives.get_content_type() == "multipart/alternative"
    plain, html = alternatives.iter_parts()
    assert (plain.get_content_type(), text_of(plain)) == ("text/plain", TEXT)
    assert (html.get_content_type(), text_of(html).rstrip("\n")) == ("text/html", HTML)
    assert (attachment.get_content_type(), attachment.get_filename(), attachment.get_content_disposition()) == (
        "image/png",
        "export.png",
        "attachment",
    )
    assert attachment.get_content() == PNG
    assert "Dropped email" not in worker.output()
