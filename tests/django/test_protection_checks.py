"""Protection settings are validated by name, and checked against the broker and installed packages."""

import pytest
from django.core import checks
from django.test import override_settings

from scalejobs import conf
from scalejobs.checks import check_all
from scalejobs.protection import runtime

SECTION = "SCALEJOBS['PROTECTION']"


def protection_messages():
    return [message for message in check_all() if message.id.startswith(("scalejobs.E2", "scalejobs.W2", "scalejobs.E001"))]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"EXPIRES_MINUTES": 0}, f"{SECTION}['EXPIRES_MINUTES']: expected an int from 1 to 2880, got 0."),
        ({"EXPIRES_MINUTES": 2881}, f"{SECTION}['EXPIRES_MINUTES']: expected an int from 1 to 2880, got 2881."),
        ({"EXPIRES_MINUTES": 1, "RENEW_BEFORE_SECONDS": 60}, f"{SECTION}['RENEW_BEFORE_SECONDS']: expected seconds below EXPIRES_MINUTES * 60, got 60."),
        ({"ENABLED": "yes"}, f"{SECTION}['ENABLED']: expected True, False or \"auto\", got 'yes'."),
        ({"TRANSPORT": "http"}, f"{SECTION}['TRANSPORT']: expected \"agent\" or \"boto3\", got 'http'."),
        ({"TICK_SECONDS": 10}, f"{SECTION}['TICK_SECONDS']: expected at most a third of PROCESS_TIMEOUT_SECONDS, got 10."),
        ({"IDLE_GRACE_SECONDS": True}, f"{SECTION}['IDLE_GRACE_SECONDS']: expected seconds >= 0, got True."),
        ({"EXPIRY_MINUTES": 5}, f"{SECTION}['EXPIRY_MINUTES']: is not a scalejobs setting."),
    ],
)
def test_invalid_settings_are_reported_with_their_name(given, message):
    with override_settings(SCALEJOBS={"PROTECTION": given}):
        (error,) = protection_messages()
    assert error.id == "scalejobs.E001" and error.msg == message


def test_the_defaults_pass():
    with override_settings(SCALEJOBS={}):
        assert protection_messages() == []
        settings = conf.get_settings().protection
    assert (settings.enabled, settings.transport, settings.shutdown_budget_seconds) == ("auto", "agent", 25.0)
    assert settings.renew_before_seconds < settings.expires_minutes * 60 < 2880 * 60


def test_the_boto3_transport_needs_boto3(monkeypatch):
    monkeypatch.setattr("scalejobs.protection.checks.importlib.util.find_spec", lambda name: None)
    with override_settings(SCALEJOBS={"PROTECTION": {"TRANSPORT": "boto3"}}):
        (error,) = protection_messages()
    assert error == checks.Error(
        f"{SECTION}['TRANSPORT'] is 'boto3' but boto3 is not installed.",
        hint="Install the extra: pip install 'scalejobs[aws]', or set TRANSPORT to 'agent'.",
        id="scalejobs.E201",
    )


def test_a_stack_without_the_middleware_is_an_error_when_protection_is_forced_on(settings):
    broker = {**settings.DRAMATIQ_BROKER, "MIDDLEWARE": ["dramatiq.middleware.Retries"]}
    with override_settings(DRAMATIQ_BROKER=broker, SCALEJOBS={"PROTECTION": {"ENABLED": True}}):
        assert [message.id for message in protection_messages()] == ["scalejobs.E202"]
    with override_settings(DRAMATIQ_BROKER=broker, SCALEJOBS={}):
        assert [message.id for message in protection_messages()] == ["scalejobs.W201"]
    with override_settings(DRAMATIQ_BROKER=broker, SCALEJOBS={"PROTECTION": {"ENABLED": False}}):
        assert protection_messages() == []


def test_a_budget_too_close_to_fargates_longest_stop_timeout_is_a_warning():
    with override_settings(SCALEJOBS={"PROTECTION": {"SHUTDOWN_BUDGET_SECONDS": 118}}):
        assert [message.id for message in protection_messages()] == ["scalejobs.W202"]
    with override_settings(SCALEJOBS={"PROTECTION": {"SHUTDOWN_BUDGET_SECONDS": None}}):
        assert protection_messages() == []


@pytest.mark.parametrize(
    ("protection", "environ", "enabled"),
    [
        ({}, {}, False),
        ({}, {"ECS_AGENT_URI": "http://169.254.170.2/api/x"}, True),
        ({"TRANSPORT": "boto3"}, {"ECS_AGENT_URI": "http://169.254.170.2/api/x"}, False),
        ({"TRANSPORT": "boto3"}, {"ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/x"}, True),
        ({"ENABLED": False}, {"ECS_AGENT_URI": "http://169.254.170.2/api/x"}, False),
        ({"ENABLED": True}, {}, True),
    ],
)
def test_auto_turns_protection_on_only_where_the_transport_can_reach_ecs(protection, environ, enabled):
    with override_settings(SCALEJOBS={"PROTECTION": protection}):
        assert runtime.is_enabled(conf.get_settings().protection, environ) is enabled


def test_outside_ecs_no_engine_is_built():
    with override_settings(SCALEJOBS={}):
        assert runtime.build({}) is None
