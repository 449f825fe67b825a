"""The unique (E3xx) and throttle (E4xx) checks, and the THROTTLE settings section."""

import pytest
from django.core import checks
from django.test import override_settings

from scalejobs import conf
from scalejobs.middleware import DEFAULT_STACK
from scalejobs.throttle.checks import check_throttle
from scalejobs.unique.checks import check_unique

REDIS = {"BROKER": "dramatiq.brokers.redis.RedisBroker", "OPTIONS": {}}


def broker(*middleware, backend="dramatiq.brokers.redis.RedisBroker"):
    return override_settings(DRAMATIQ_BROKER={**REDIS, "BROKER": backend, "MIDDLEWARE": list(middleware)})


def test_the_default_stack_passes():
    with broker(*DEFAULT_STACK):
        assert [*check_unique(), *check_throttle()] == []


def test_unique_before_throttle_is_an_error():
    with broker("dramatiq.middleware.Retries", "scalejobs.middleware.Unique", "scalejobs.middleware.Throttle"):
        assert list(check_unique()) == [
            checks.Error(
                "scalejobs.middleware.Unique comes before scalejobs.middleware.Throttle in DRAMATIQ_BROKER['MIDDLEWARE'].",
                hint="List 'scalejobs.middleware.Throttle' before 'scalejobs.middleware.Unique' (as DEFAULT_STACK does).",
                obj="settings.DRAMATIQ_BROKER",
                id="scalejobs.E301",
            )
        ]


def test_throttle_without_retries_is_an_error():
    with broker("scalejobs.throttle.middleware.Throttle"):
        assert [message.id for message in check_throttle()] == ["scalejobs.E401"]


def test_unique_and_throttle_need_redis():
    with broker("dramatiq.middleware.Retries", "scalejobs.middleware.Throttle", "scalejobs.middleware.Unique", backend="dramatiq.brokers.stub.StubBroker"):
        assert [message.id for message in [*check_unique(), *check_throttle()]] == ["scalejobs.E302", "scalejobs.E402"]
        with override_settings(SCALEJOBS={"REDIS_URL": "redis://cache:6379/1"}):
            assert [*check_unique(), *check_throttle()] == []


def test_without_the_middleware_nothing_is_checked():
    with broker("dramatiq.middleware.AgeLimit", backend="dramatiq.brokers.stub.StubBroker"):
        assert [*check_unique(), *check_throttle()] == []


def test_throttle_settings_default_and_merge():
    with override_settings(SCALEJOBS={"THROTTLE": {"BACKOFF": 0.5}}):
        throttle = conf.get_settings().throttle
    assert (throttle.backoff, throttle.max_backoff, throttle.max_postponements) == (0.5, 60.0, 100)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"BACKOFF": -1}, "SCALEJOBS['THROTTLE']['BACKOFF']: expected a positive number of seconds, got -1."),
        ({"BACKOFF": 5, "MAX_BACKOFF": 1}, "SCALEJOBS['THROTTLE']['MAX_BACKOFF']: expected seconds >= BACKOFF, got 1."),
        ({"MAX_POSTPONEMENTS": 1.5}, "SCALEJOBS['THROTTLE']['MAX_POSTPONEMENTS']: expected an int >= 0, got 1.5."),
    ],
)
def test_bad_throttle_settings_name_the_setting(section, message):
    with pytest.raises(conf.ConfigurationError) as caught:
        conf.build({"THROTTLE": section})
    assert str(caught.value) == message
