"""The mail checks prove queued email has a real backend to go through, and never a loop."""

import django.core.mail
import pytest
from django.core import checks
from django.test import override_settings

from scalejobs.mail.checks import check_mail

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
QUEUED = "scalejobs.mail.QueuedEmailBackend"
needs_mailers = pytest.mark.skipif(not hasattr(django.core.mail, "mailers"), reason="Django < 6.1 has no MAILERS")


def mail_checks(**mail):
    with override_settings(SCALEJOBS={"MAIL": mail}):
        return list(check_mail())


def test_the_test_settings_pass():
    assert list(check_mail()) == []


def test_a_backend_that_cannot_be_imported_is_an_error():
    assert mail_checks(BACKEND="nowhere.EmailBackend") == [
        checks.Error(
            "SCALEJOBS['MAIL']['BACKEND'] is 'nowhere.EmailBackend', which cannot be imported: No module named 'nowhere'",
            hint="Set SCALEJOBS['MAIL']['BACKEND'] to the dotted path of an email backend class.",
            obj="settings.SCALEJOBS",
            id="scalejobs.E101",
        )
    ]


def test_a_backend_that_queues_again_is_a_loop_error():
    assert mail_checks(BACKEND=QUEUED) == [
        checks.Error(
            "SCALEJOBS['MAIL']['BACKEND'] is 'scalejobs.mail.QueuedEmailBackend', which queues email: "
            "every message would be queued again, forever.",
            hint="Name the backend that really sends, e.g. 'django.core.mail.backends.smtp.EmailBackend'.",
            obj="settings.SCALEJOBS",
            id="scalejobs.E102",
        )
    ]


def test_using_without_mailers_is_an_error():
    assert mail_checks(BACKEND=LOCMEM, USING="transactional") == [
        checks.Error(
            "SCALEJOBS['MAIL']['USING'] is 'transactional', but MAILERS is not defined.",
            hint="Set SCALEJOBS['MAIL']['USING'] to None and name the backend in SCALEJOBS['MAIL']['BACKEND'], "
            "or define MAILERS (Django >= 6.1).",
            obj="settings.SCALEJOBS",
            id="scalejobs.E103",
        )
    ]


def test_manage_py_check_reports_the_loop(manage_py_check):
    result = manage_py_check("SCALEJOBS = {'MAIL': {'BACKEND': 'scalejobs.mail.QueuedEmailBackend'}}")
    assert result.returncode == 1
    assert "(scalejobs.E102) SCALEJOBS['MAIL']['BACKEND'] is 'scalejobs.mail.QueuedEmailBackend', which queues email" in result.stderr


MAILERS = {
    "default": {"BACKEND": LOCMEM},
    "transactional": {"BACKEND": LOCMEM},
    "queued": {"BACKEND": QUEUED, "OPTIONS": {"using": "transactional"}},
}


def mailers_checks(mailers, **mail):
    with override_settings(MAILERS=mailers, SCALEJOBS={"MAIL": mail}):
        return list(check_mail())


@needs_mailers
def test_mailers_with_a_queued_alias_delivering_through_a_real_one_pass():
    assert mailers_checks(MAILERS, USING="transactional") == []
    assert mailers_checks(MAILERS) == []


@needs_mailers
def test_the_documented_setup_with_a_queuing_default_mailer_passes():
    mailers = {"default": {"BACKEND": QUEUED}, "smtp": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend"}}
    assert mailers_checks(mailers, USING="smtp") == []
    assert [error.id for error in mailers_checks(mailers)] == ["scalejobs.E106"]


@needs_mailers
def test_using_an_alias_missing_from_mailers_is_an_error():
    assert mailers_checks(MAILERS, USING="marketing") == [
        checks.Error(
            "SCALEJOBS['MAIL']['USING'] is 'marketing', so queued email goes through the mailer 'marketing', "
            "which is not in MAILERS.",
            hint="Set SCALEJOBS['MAIL']['USING'] to one of 'default', 'transactional', 'queued', or add 'marketing' to MAILERS.",
            obj="settings.SCALEJOBS",
            id="scalejobs.E104",
        )
    ]


@needs_mailers
def test_the_default_mailer_is_needed_when_using_is_none():
    assert [error.id for error in mailers_checks({"transactional": {"BACKEND": LOCMEM}})] == ["scalejobs.E104"]


@needs_mailers
def test_a_delivering_mailer_whose_backend_cannot_be_imported_is_an_error():
    assert mailers_checks({"default": {"BACKEND": "nowhere.EmailBackend"}}) == [
        checks.Error(
            "MAILERS['default']['BACKEND'] is 'nowhere.EmailBackend', which cannot be imported: No module named 'nowhere'",
            hint="Set MAILERS['default']['BACKEND'] to the dotted path of an email backend class.",
            obj="settings.MAILERS",
            id="scalejobs.E105",
        )
    ]


@needs_mailers
def test_delivering_through_a_queued_mailer_is_a_loop_error():
    assert mailers_checks(MAILERS, USING="queued") == [
        checks.Error(
            "SCALEJOBS['MAIL']['USING'] makes queued email go through the mailer 'queued', whose backend "
            "'scalejobs.mail.QueuedEmailBackend' queues email: every message would be queued again, forever.",
            hint="Point SCALEJOBS['MAIL']['USING'] at a mailer whose backend really sends, e.g. SMTP.",
            obj="settings.MAILERS",
            id="scalejobs.E106",
        )
    ]


@needs_mailers
def test_a_queued_mailer_whose_using_option_points_at_itself_is_a_loop_error():
    mailers = {**MAILERS, "queued": {"BACKEND": QUEUED, "OPTIONS": {"using": "queued"}}}
    assert mailers_checks(mailers) == [
        checks.Error(
            "MAILERS['queued']['OPTIONS']['using'] makes queued email go through the mailer 'queued', whose backend "
            "'scalejobs.mail.QueuedEmailBackend' queues email: every message would be queued again, forever.",
            hint="Point MAILERS['queued']['OPTIONS']['using'] at a mailer whose backend really sends, e.g. SMTP.",
            obj="settings.MAILERS",
            id="scalejobs.E106",
        )
    ]


@needs_mailers
def test_a_queued_mailer_whose_using_option_is_unknown_is_an_error():
    mailers = {**MAILERS, "queued": {"BACKEND": QUEUED, "OPTIONS": {"using": "smtp"}}}
    assert mailers_checks(mailers) == [
        checks.Error(
            "MAILERS['queued']['OPTIONS']['using'] is 'smtp', which is not in MAILERS.",
            hint="Set MAILERS['queued']['OPTIONS']['using'] to one of 'default', 'transactional', 'queued'.",
            obj="settings.MAILERS",
            id="scalejobs.E107",
        )
    ]


@needs_mailers
def test_the_backend_setting_is_ignored_with_mailers_and_says_so():
    assert mailers_checks(MAILERS, BACKEND=LOCMEM) == [
        checks.Warning(
            "SCALEJOBS['MAIL']['BACKEND'] is ignored because MAILERS is defined; queued email goes through "
            "SCALEJOBS['MAIL']['USING'].",
            hint="Remove SCALEJOBS['MAIL']['BACKEND'] and set SCALEJOBS['MAIL']['USING'] to the MAILERS alias that sends.",
            obj="settings.SCALEJOBS",
            id="scalejobs.W101",
        )
    ]
