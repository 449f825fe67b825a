"""Queued email goes through the real Redis broker, after the commit, within the size cap."""

import dramatiq
from dramatiq.broker import MessageProxy
from dramatiq.middleware import Retries
import pytest
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.test import override_settings

import scalejobs
from scalejobs.encryption import SEALED, keyring
from scalejobs.errors import ConfigurationError, MessageTooLarge
from scalejobs.mail import payload
from scalejobs.mail.jobs import deliver_email

ACTOR = "scalejobs_deliver_email"


def queued(broker, queue="default"):
    """Return the delivery messages waiting in ``queue``, read back from Redis and decrypted."""
    stored = broker.client.hvals(f"{broker.namespace}:{queue}.msgs")
    messages = [dramatiq.Message.decode(raw) for raw in stored]
    opened = []
    for message in messages:
        if message.actor_name == ACTOR:
            assert set(message.kwargs) == {SEALED} and not message.args, "Redis holds the email in clear"
            args, kwargs = keyring().unseal(message.kwargs[SEALED])
            opened.append(message.copy(args=args, kwargs=kwargs))
    return opened


def deliver(message):
    """Run the delivery job on ``message``'s arguments, as a worker would."""
    return deliver_email.fn(*message.args, **message.kwargs)


def welcome():
    message = EmailMultiAlternatives("Welcome", "Hello", "shop@example.com", ["ada@example.com"], cc=["cc@example.com"])
    message.attach_alternative("<p>Hello</p>", "text/html")
    message.attach("logo.png", b"\x89PNG\x00\xff", "image/png")
    return message


def test_deliver_later_queues_one_message_that_a_worker_sends(broker, mailoutbox):
    message = scalejobs.deliver_later(welcome())
    [stored] = queued(broker)
    assert stored.message_id == message.message_id
    assert stored.options["max_retries"] == 10
    assert mailoutbox == []
    deliver(stored)
    [sent] = mailoutbox
    assert (sent.subject, sent.to, sent.cc) == ("Welcome", ["ada@example.com"], ["cc@example.com"])
    assert sent.alternatives == [("<p>Hello</p>", "text/html")]
    assert sent.attachments == [("logo.png", b"\x89PNG\x00\xff", "image/png")]


def test_two_deliveries_of_one_payload_send_the_same_message_id(broker, mailoutbox):
    message = scalejobs.deliver_later(welcome())
    [stored] = queued(broker)
    deliver(stored)
    deliver(stored)
    first, second = (sent.message()["Message-ID"] for sent in mailoutbox)
    assert first == second == payload.message_id(message.kwargs["email"])


def test_delay_and_queue_name_are_honoured(broker):
    message = scalejobs.deliver_later(welcome(), delay=30, queue_name="mail")
    assert message.queue_name == "mail.DQ"
    assert [m.message_id for m in queued(broker, "mail.DQ")] == [message.message_id]
    assert "mail" in broker.get_declared_queues()


@override_settings(SCALEJOBS={"MAIL": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend", "QUEUE": "emails", "MAX_RETRIES": 3}})
def test_queue_and_retries_come_from_the_settings(broker):
    message = scalejobs.deliver_later(welcome())
    [stored] = queued(broker, "emails")
    assert (stored.message_id, stored.options["max_retries"]) == (message.message_id, 3)


@override_settings(SCALEJOBS={"MAIL": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend", "MAX_MESSAGE_BYTES": 2000}})
def test_a_message_over_the_size_cap_fails_at_enqueue_and_nothing_is_queued(broker):
    message = welcome()
    message.extra_headers["Message-ID"] = "<fixed@example.com>"  # A pinned id of random length would vary the size.
    message.attach("big.bin", bytes(3000), "application/octet-stream")
    with pytest.raises(MessageTooLarge) as raised:
        scalejobs.deliver_later(message)
    size = payload.encoded_size(payload.dump(message))
    assert str(raised.value) == (
        f"The email is {size} bytes once encoded, over SCALEJOBS['MAIL']['MAX_MESSAGE_BYTES'] (2000); "
        "keep large attachments in storage and send a link, or raise the setting."
    )
    assert queued(broker) == []


def test_a_subclass_fails_at_enqueue_and_nothing_is_queued(broker):
    class Newsletter(EmailMessage):
        pass

    with pytest.raises(scalejobs.ScalejobsError, match=r"Newsletter is not supported"):
        scalejobs.deliver_later(Newsletter("s", "b", to=["a@example.com"]))
    assert queued(broker) == []


@pytest.mark.django_db(transaction=True)
def test_inside_atomic_the_email_is_queued_only_after_commit(broker):
    with transaction.atomic():
        message = scalejobs.deliver_later(welcome())
        assert queued(broker) == []
    assert [stored.message_id for stored in queued(broker)] == [message.message_id]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_queues_nothing(broker):
    with pytest.raises(RuntimeError), transaction.atomic():
        scalejobs.send_mail_later("s", "b", None, ["a@example.com"])
        raise RuntimeError("rollback")
    assert queued(broker) == []


@pytest.mark.django_db
def test_on_commit_callbacks_carry_the_send(broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        scalejobs.deliver_later(welcome())
    assert len(callbacks) == 1 and queued(broker) == []
    callbacks[0]()
    assert len(queued(broker)) == 1


@pytest.mark.django_db(transaction=True)
def test_on_commit_false_sends_inside_the_transaction(broker):
    with transaction.atomic():
        scalejobs.deliver_later(welcome(), on_commit=False)
        assert len(queued(broker)) == 1


@pytest.mark.django_db(transaction=True)
@override_settings(SCALEJOBS={"ON_COMMIT": False, "MAIL": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}})
def test_email_follows_the_on_commit_setting_like_perform_later(broker):
    with transaction.atomic():
        scalejobs.deliver_later(welcome())
        assert len(queued(broker)) == 1


def test_send_mail_later_queues_what_send_mail_would_send(broker, mailoutbox):
    scalejobs.send_mail_later("Hi", "text", "shop@example.com", ["a@example.com"], html_message="<p>text</p>")
    deliver(queued(broker)[0])
    [sent] = mailoutbox
    assert type(sent) is EmailMultiAlternatives
    assert (sent.subject, sent.body, sent.from_email, sent.to) == ("Hi", "text", "shop@example.com", ["a@example.com"])
    assert sent.alternatives == [("<p>text</p>", "text/html")]


def test_send_mass_mail_later_queues_one_job_per_message(broker, mailoutbox, settings):
    messages = scalejobs.send_mass_mail_later(
        [("One", "1", "shop@example.com", ["a@example.com"]), ("Two", "2", None, ["b@example.com", "c@example.com"])]
    )
    assert len(messages) == 2 and len(queued(broker)) == 2
    for message in messages:
        deliver(message)
    assert [(sent.subject, sent.from_email, sent.to) for sent in mailoutbox] == [
        ("One", "shop@example.com", ["a@example.com"]),
        ("Two", settings.DEFAULT_FROM_EMAIL, ["b@example.com", "c@example.com"]),
    ]


@pytest.mark.parametrize(
    "arguments",
    [{"auth_user": "smtp-user"}, {"auth_password": "hunter2"}],
)
def test_credentials_are_refused_and_never_queued(broker, arguments):
    with pytest.raises(TypeError) as raised:
        scalejobs.send_mail_later("s", "b", None, ["a@example.com"], **arguments)
    assert str(raised.value) == (
        "send_mail_later() does not put credentials in the queue; drop auth_user/auth_password and set them on "
        "the sending backend (EMAIL_HOST_USER/EMAIL_HOST_PASSWORD, or the MAILERS alias's OPTIONS)."
    )
    assert queued(broker) == []


def test_a_connection_is_refused(broker):
    with pytest.raises(TypeError, match=r"^send_mass_mail_later\(\) cannot carry a connection to a worker"):
        scalejobs.send_mass_mail_later([("s", "b", None, ["a@example.com"])], connection=object())


def test_fail_silently_makes_the_worker_log_a_delivery_error_instead_of_raising(broker, mailoutbox, caplog):
    scalejobs.send_mail_later("s", "b", None, ["a@example.com"], fail_silently=True)
    [stored] = queued(broker)
    assert stored.kwargs["fail_silently"] is True
    with override_settings(SCALEJOBS={"MAIL": {"BACKEND": "tests.testapp.mail_backends.BrokenBackend"}}):
        deliver(stored)
    assert "Dropped email <" in caplog.text


def test_without_fail_silently_a_delivery_error_raises_for_a_retry(broker):
    scalejobs.send_mail_later("s", "b", None, ["a@example.com"])
    [stored] = queued(broker)
    with override_settings(SCALEJOBS={"MAIL": {"BACKEND": "tests.testapp.mail_backends.BrokenBackend"}}):
        with pytest.raises(ConnectionRefusedError):
            deliver(stored)


def test_a_backend_that_queues_again_is_refused_at_enqueue(broker):
    with override_settings(SCALEJOBS={"MAIL": {"BACKEND": "scalejobs.mail.QueuedEmailBackend"}}):
        with pytest.raises(ConfigurationError) as raised:
            scalejobs.deliver_later(welcome())
    assert str(raised.value) == (
        "SCALEJOBS['MAIL']['BACKEND']: 'scalejobs.mail.QueuedEmailBackend' queues email, so delivering "
        "through it would queue every message again, forever."
    )
    assert queued(broker) == []


def test_a_backend_that_queues_again_is_refused_at_run_time_and_never_retried(broker, mailoutbox):
    scalejobs.deliver_later(welcome())
    [stored] = queued(broker)
    with override_settings(SCALEJOBS={"MAIL": {"BACKEND": "scalejobs.mail.QueuedEmailBackend"}}):
        with pytest.raises(ConfigurationError, match="would queue every message again, forever") as raised:
            deliver(stored)
    # What Dramatiq's Retries middleware makes of that error: fail the message, schedule no retry.
    proxy = MessageProxy(stored)
    Retries().after_process_message(broker, proxy, exception=raised.value)
    assert proxy.failed
    assert queued(broker, "default.DQ") == [] and queued(broker) == [stored]
    assert mailoutbox == []


@override_settings(EMAIL_BACKEND="scalejobs.mail.QueuedEmailBackend")
def test_queued_email_backend_queues_everything_django_sends(broker, mailoutbox):
    assert mail.send_mail("Hi", "text", "shop@example.com", ["a@example.com"], html_message="<p>x</p>") == 1
    assert mail.send_mass_mail([("A", "a", None, ["a@example.com"]), ("B", "b", None, [])]) == 1
    assert mailoutbox == []
    stored = sorted(queued(broker), key=lambda message: message.kwargs["email"]["subject"])
    assert [message.kwargs["email"]["subject"] for message in stored] == ["A", "Hi"]
    for message in stored:
        deliver(message)
    assert sorted(sent.subject for sent in mailoutbox) == ["A", "Hi"]


@override_settings(EMAIL_BACKEND="scalejobs.mail.QueuedEmailBackend")
def test_queued_email_backend_refuses_credentials(broker):
    with pytest.raises(TypeError, match=r"^QueuedEmailBackend does not put credentials in the queue"):
        mail.send_mail("Hi", "text", None, ["a@example.com"], auth_user="u", auth_password="p")
    assert queued(broker) == []


def test_using_a_mailer_alias_without_mailers_is_refused(broker):
    with pytest.raises(ConfigurationError) as raised:
        scalejobs.deliver_later(welcome(), using="transactional")
    assert str(raised.value) == "using: names the mailer 'transactional', but MAILERS is not defined."
    assert queued(broker) == []
