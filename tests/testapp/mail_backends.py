"""Email backends for the mail tests."""

from django.core.mail.backends.base import BaseEmailBackend


class BrokenBackend(BaseEmailBackend):
    """A backend whose server is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("the SMTP server is down")
