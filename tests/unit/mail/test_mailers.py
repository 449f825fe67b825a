"""On Django >= 6.1 with MAILERS, queued email goes out through a mailer alias."""

import django.core.mail
import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings

import scalejobs
from scalejobs.errors import ConfigurationError
from tests.unit.mail.test_deliver_later import deliver, queued, welcome

pytestmark = pytest.mark.skipif(not hasattr(django.core.mail, "mailers"), reason="Django < 6.1 has no MAILERS")

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
MAILERS = {
    "default": {"BACKEND": LOCMEM},
    "transactional": {"BACKEND": LOCMEM},
    "queued": {"BACKEND": "scalejobs.mail.QueuedEmailBackend", "OPTIONS": {"using": "transactional", "queue_name": "mail"}},
}


@override_settings(MAILERS=MAILERS, SCALEJOBS={"MAIL": {"USING": "transactional"}})
def test_the_worker_sends_through_the_alias_in_the_settings(broker, mailoutbox):
    scalejobs.deliver_later(welcome())
    deliver(queued(broker)[0])
    assert [sent.sent_using for sent in mailoutbox] == ["transactional"]


@override_settings(MAILERS=MAILERS, SCALEJOBS={"MAIL": {"USING": "transactional"}})
def test_using_given_at_the_call_wins_over_the_settings(broker, mailoutbox):
    scalejobs.send_mail_later("s", "b", None, ["a@example.com"], using="default")
    deliver(queued(broker)[0])
    assert [sent.sent_using for sent in mailoutbox] == ["default"]


@override_settings(MAILERS=MAILERS)
def test_without_using_the_default_mailer_sends_and_email_settings_are_never_read(broker, mailoutbox):
    with pytest.raises(AttributeError):
        settings.EMAIL_BACKEND  # noqa: B018 - what Django does to a reader of EMAIL_* once MAILERS is defined.
    scalejobs.deliver_later(welcome())
    deliver(queued(broker)[0])
    assert [sent.sent_using for sent in mailoutbox] == ["default"]


@override_settings(MAILERS=MAILERS)
def test_a_queued_mailer_alias_queues_with_its_own_options(broker, mailoutbox):
    assert mail.send_mail("Hi", "text", None, ["a@example.com"], using="queued") == 1
    assert mailoutbox == []
    [stored] = queued(broker, "mail")
    assert stored.kwargs["using"] == "transactional"
    deliver(stored)
    assert [(sent.subject, sent.sent_using) for sent in mailoutbox] == [("Hi", "transactional")]


@override_settings(MAILERS=MAILERS)
def test_the_queued_backend_takes_alias_and_its_options_keyword_only():
    backend = mail.mailers["queued"]
    assert (backend.alias, backend.using, backend.queue_name, backend.fail_silently) == ("queued", "transactional", "mail", False)


@override_settings(MAILERS={"queued": {"BACKEND": "scalejobs.mail.QueuedEmailBackend", "OPTIONS": {"using": "x", "colour": "red"}}})
def test_an_unknown_option_of_the_queued_backend_is_reported_by_django():
    with pytest.raises(mail.InvalidMailer) as raised:
        mail.mailers["queued"]
    assert str(raised.value) == "MAILERS['queued']: Unknown options 'colour'."


@override_settings(MAILERS={"default": {"BACKEND": "scalejobs.mail.QueuedEmailBackend"}})
def test_a_default_mailer_that_queues_is_a_loop_refused_at_enqueue(broker):
    with pytest.raises(ConfigurationError) as raised:
        mail.send_mail("Hi", "text", None, ["a@example.com"])
    assert str(raised.value) == (
        "MAILERS['default']['BACKEND']: 'scalejobs.mail.QueuedEmailBackend' queues "
        "email, so delivering through it would queue every message again, forever."
    )
    assert queued(broker) == []


@override_settings(MAILERS=MAILERS, SCALEJOBS={"MAIL": {"USING": "marketing"}})
def test_an_alias_missing_from_mailers_is_refused_at_enqueue(broker):
    with pytest.raises(ConfigurationError) as raised:
        scalejobs.deliver_later(welcome())
    assert str(raised.value) == "SCALEJOBS['MAIL']['USING']: the mailer 'marketing' is not in MAILERS."
    assert queued(broker) == []


@override_settings(
    MAILERS={"default": {"BACKEND": "scalejobs.mail.QueuedEmailBackend"}, "smtp": {"BACKEND": LOCMEM}},
    SCALEJOBS={"MAIL": {"USING": "smtp"}},
)
def test_a_queuing_default_mailer_makes_plain_send_mail_go_through_a_worker(broker, mailoutbox):
    assert mail.send_mail("Hi", "text", None, ["a@example.com"]) == 1
    assert mailoutbox == []
    [stored] = queued(broker)
    assert "using" not in stored.kwargs
    deliver(stored)
    assert [(sent.subject, sent.sent_using) for sent in mailoutbox] == [("Hi", "smtp")]
