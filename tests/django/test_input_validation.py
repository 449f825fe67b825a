"""Every bad value fails where it is written, with a message naming it: at the call, the decorator or manage.py check."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.core import checks
from django.test import override_settings

import scalejobs
from scalejobs.checks import check_all
from scalejobs.errors import JobOptionError
from tests.conftest import ROOT
from tests.testapp.tasks import record


@pytest.mark.parametrize("per", [float("inf"), float("nan"), dt.timedelta.max])
def test_a_limiter_refuses_an_infinite_period(per):
    with pytest.raises(ValueError, match=r"^Bucket: per must be a positive, finite number of seconds or a timedelta, got "):
        scalejobs.Bucket(1, per=per)


@pytest.mark.parametrize("delay", [float("nan"), float("inf"), -float("inf")])
def test_perform_in_refuses_a_delay_that_is_not_finite(delay):
    with pytest.raises(ValueError, match=rf"^delay: {delay!r} is not a finite number of seconds$"):
        record.perform_in(delay, "x")


@pytest.mark.parametrize("when", [dt.date(2030, 1, 1), "2030-01-01T00:00:00Z", 1893456000])
def test_perform_at_refuses_anything_but_a_datetime(when):
    with pytest.raises(TypeError, match=rf"^when: expected an aware datetime, got {type(when).__name__} "):
        record.perform_at(when, "x")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"protect": "yes"}, "bad_job: protect must be True, False or 'auto', got 'yes'."),
        ({"protect": 1}, "bad_job: protect must be True, False or 'auto', got 1."),
        ({"time_limit": -1}, "bad_job: time_limit must be a positive number of milliseconds, got -1."),
        ({"max_retries": -1}, "bad_job: max_retries must be an int >= 0 (or None for no limit), got -1."),
        ({"encrypt": "yes"}, "bad_job: encrypt must be True or False, got 'yes'."),
    ],
)
def test_a_job_option_with_an_unusable_value_fails_at_decoration(options, message):
    with pytest.raises(JobOptionError) as raised:
        scalejobs.job(actor_name="bad_job", **options)(lambda: None)
    assert str(raised.value) == message


def test_protect_auto_is_accepted(declared_job):
    declared_job("auto_protected_job", protect="auto")


def test_a_job_whose_cron_never_fires_fails_the_check(declared_job):
    declared_job("never_job", periodic="0 0 31 2 *")

    assert ("scalejobs.E501", "Periodic entry 'never_job': '0 0 31 2 *' never fires: no date matches it.") in error_ids()


def error_ids(**scalejobs_settings):
    with override_settings(SCALEJOBS=scalejobs_settings):
        return [(error.id, error.msg) for error in check_all() if error.level >= checks.ERROR]


def test_a_redis_url_that_is_not_a_url_fails_the_check():
    assert error_ids(REDIS_URL="not-a-url") == [
        (
            "scalejobs.E001",
            "SCALEJOBS['REDIS_URL']: expected a redis://, rediss:// or unix:// URL, or None, got 'not-a-url'.",
        )
    ]


def test_a_settings_cron_that_never_fires_fails_the_check():
    entries = {"feb30": {"job": "tests.testapp.tasks.record", "cron": "0 0 31 2 *"}}
    assert error_ids(PERIODIC={"ENTRIES": entries}) == [
        ("scalejobs.E501", "Periodic entry 'feb30': '0 0 31 2 *' never fires: no date matches it.")
    ]


def test_encryption_keys_must_be_secret_strings():
    assert error_ids(ENCRYPTION={"KEYS": []}) == [
        (
            "scalejobs.E001",
            "SCALEJOBS['ENCRYPTION']['KEYS']: expected None or a non-empty list of secret strings, got [].",
        )
    ]


def test_status_prints_one_line_and_fails_when_redis_is_unreachable():
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "SCALEJOBS_TEST_REDIS_URL": "redis://127.0.0.1:1/0"}
    done = subprocess.run(
        [sys.executable, "manage.py", "scalejobs", "status"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("CommandError: Redis unreachable: ")
