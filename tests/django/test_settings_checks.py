"""SCALEJOBS is validated by system checks, naming the setting at fault."""

import pytest
from django.core import checks
from django.test import override_settings

from scalejobs import conf
from scalejobs.checks import check_all


def kernel_errors():
    return [message for message in check_all() if message.id.startswith("scalejobs.E0")]


def test_default_settings_pass_every_check():
    assert check_all() == []


def test_defaults_are_merged_under_the_users_dict():
    with override_settings(SCALEJOBS={"KEY_PREFIX": "shop"}):
        settings = conf.get_settings()
    assert (settings.key_prefix, settings.on_commit, settings.redis_url) == ("shop", True, None)


@pytest.mark.parametrize(
    ("value", "message", "hint"),
    [
        ({"KEY_PREFIX": 3}, "SCALEJOBS['KEY_PREFIX']: expected a non-empty string, got 3.", "Set SCALEJOBS['KEY_PREFIX'] to a non-empty string."),
        ({"ON_COMMIT": "yes"}, "SCALEJOBS['ON_COMMIT']: expected bool, got 'yes'.", "Set SCALEJOBS['ON_COMMIT'] to bool."),
        ({"KEY_PREFX": "x"}, "SCALEJOBS['KEY_PREFX']: is not a scalejobs setting.", "Did you mean 'KEY_PREFIX'?"),
        ({"MAIL": {"QUEUE": ""}}, "SCALEJOBS['MAIL']['QUEUE']: expected a queue name, got ''.", "Set SCALEJOBS['MAIL']['QUEUE'] to a queue name."),
        ({"MAIL": {"MAX_MESSAGE_BYTES": True}}, "SCALEJOBS['MAIL']['MAX_MESSAGE_BYTES']: expected a positive int, got True.", "Set SCALEJOBS['MAIL']['MAX_MESSAGE_BYTES'] to a positive int."),
        (["not", "a", "dict"], "SCALEJOBS: expected a dict, got ['not', 'a', 'dict'].", "Set SCALEJOBS to a dict."),
    ],
)
def test_a_bad_value_fails_the_check_naming_the_setting(value, message, hint):
    with override_settings(SCALEJOBS=value):
        assert kernel_errors() == [checks.Error(message, hint=hint, obj="settings.SCALEJOBS", id="scalejobs.E001")]


@pytest.mark.parametrize(("lease", "renew", "valid"), [(15.0, 7.5, True), (15.0, 8.0, False), (20.0, 8.0, True), (4.0, 3.0, False)])
def test_the_leader_renews_at_most_every_half_lease(lease, renew, valid):
    # Renewing at most every half lease leaves the leader a second try before its lease lapses.
    with override_settings(SCALEJOBS={"LEADER": {"LEASE_SECONDS": lease, "RENEW_SECONDS": renew}}):
        errors = kernel_errors()
    if valid:
        assert errors == []
    else:
        assert errors == [
            checks.Error(
                f"SCALEJOBS['LEADER']['RENEW_SECONDS']: expected at most half of LEASE_SECONDS, got {renew!r}.",
                hint="Set SCALEJOBS['LEADER']['RENEW_SECONDS'] to at most half of LEASE_SECONDS.",
                obj="settings.SCALEJOBS",
                id="scalejobs.E001",
            )
        ]


def test_missing_broker_setting_is_an_error():
    with override_settings(DRAMATIQ_BROKER=None):
        assert [error.id for error in kernel_errors()] == ["scalejobs.E002"]


def test_manage_py_check_fails_on_a_misconfigured_setting(manage_py_check):
    result = manage_py_check("SCALEJOBS = {'KEY_PREFIX': ''}")
    assert result.returncode == 1
    assert "(scalejobs.E001) SCALEJOBS['KEY_PREFIX']: expected a non-empty string, got ''." in result.stderr
