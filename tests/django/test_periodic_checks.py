"""Periodic entries are checked by name: cron, time zone, job path, duplicates, middleware."""

import pytest
from django.core import checks
from django.test import override_settings

import scalejobs
from scalejobs import conf
from scalejobs.checks import check_all
from scalejobs.periodic.declarations import declared_entries

JOB = "tests.testapp.tasks.record"
ENTRY = "SCALEJOBS['PERIODIC']['ENTRIES']['nightly']"


def entries(**nightly):
    return {"PERIODIC": {"ENTRIES": {"nightly": {"job": JOB, "cron": "0 3 * * *", **nightly}}}}


def periodic_messages():
    return [message for message in check_all() if message.id[len("scalejobs.") + 1] == "5"]


def test_valid_entries_pass_and_are_gathered_with_their_defaults():
    with override_settings(SCALEJOBS=entries(tz="Asia/Tokyo", args=[1], queue="reports")):
        assert periodic_messages() == []
        [entry] = declared_entries().entries
    assert (entry.name, entry.job, entry.schedule.describe(), entry.tz.key) == ("nightly", JOB, "0 3 * * *", "Asia/Tokyo")
    assert (entry.args, entry.queue, entry.enabled, entry.source) == ((1,), "reports", True, "settings")


def test_the_default_time_zone_is_django_time_zone():
    with override_settings(SCALEJOBS=entries(), TIME_ZONE="Europe/Paris"):
        [entry] = declared_entries().entries
    assert entry.tz.key == "Europe/Paris"


@pytest.mark.parametrize(
    ("nightly", "error"),
    [
        (
            {"cron": "61 * * * *"},
            checks.Error(
                "Periodic entry 'nightly': '61 * * * *' is not a valid cron expression.",
                hint="Write five fields: minute hour day-of-month month day-of-week.",
                obj=ENTRY,
                id="scalejobs.E501",
            ),
        ),
        (
            {"tz": "Mars/Olympus"},
            checks.Error(
                "Periodic entry 'nightly': time zone 'Mars/Olympus' is unknown.",
                hint="Use an IANA zone name such as 'Europe/Paris'.",
                obj=ENTRY,
                id="scalejobs.E502",
            ),
        ),
        (
            {"job": "tests.testapp.tasks.missing"},
            checks.Error(
                "Periodic entry 'nightly': job 'tests.testapp.tasks.missing' cannot be imported "
                '(Module "tests.testapp.tasks" does not define a "missing" attribute/class).',
                hint="Set 'job' to the dotted path of a job.",
                obj=ENTRY,
                id="scalejobs.E503",
            ),
        ),
        (
            {"job": "tests.testapp.tasks.RECORD"},
            checks.Error(
                "Periodic entry 'nightly': job 'tests.testapp.tasks.RECORD' is not a job.",
                hint="Point 'job' at a function decorated with @scalejobs.job.",
                obj=ENTRY,
                id="scalejobs.E503",
            ),
        ),
    ],
)
def test_a_bad_entry_fails_the_check_naming_the_entry(nightly, error):
    with override_settings(SCALEJOBS=entries(**nightly)):
        assert periodic_messages() == [error]


def test_a_malformed_entry_fails_the_settings_check_naming_its_path():
    with override_settings(SCALEJOBS={"PERIODIC": {"ENTRIES": {"nightly": {"job": JOB}}}}):
        [error] = check_all()
    assert error == checks.Error(
        f"{ENTRY}: needs exactly one of 'cron' and 'every'.",
        hint="Give a cron string or 'every' in seconds.",
        obj="settings.SCALEJOBS",
        id="scalejobs.E001",
    )


def test_a_decorated_job_with_a_bad_schedule_fails_the_check_naming_the_job(declared_job):
    declared_job("periodic_check_bad_cron", periodic="every minute")
    declared_job("periodic_check_bad_zone", periodic=scalejobs.every(minutes=1), periodic_tz="Nowhere/Land")
    ids = {(message.id, message.msg.split(":")[0]) for message in periodic_messages()}
    assert ids == {
        ("scalejobs.E501", "Periodic entry 'periodic_check_bad_cron'"),
        ("scalejobs.E502", "Periodic entry 'periodic_check_bad_zone'"),
    }


def test_a_settings_entry_may_not_reuse_the_name_of_a_periodic_job(declared_job):
    declared_job("nightly", periodic="0 3 * * *")
    with override_settings(SCALEJOBS=entries()):
        [error] = periodic_messages()
    assert (error.id, error.obj) == ("scalejobs.E504", ENTRY)


def test_entries_without_the_periodic_middleware_are_a_warning():
    broker = {**conf.django_setting("DRAMATIQ_BROKER")}
    broker["MIDDLEWARE"] = [path for path in broker["MIDDLEWARE"] if not path.endswith(".Periodic")]
    with override_settings(SCALEJOBS=entries(), DRAMATIQ_BROKER=broker):
        [warning] = periodic_messages()
    assert (warning.id, warning.level) == ("scalejobs.W501", checks.WARNING)


def test_manage_py_check_fails_naming_the_bad_entry(manage_py_check):
    result = manage_py_check(
        "SCALEJOBS = {**SCALEJOBS, 'PERIODIC': {'ENTRIES': {'nightly': {'job': 'tests.testapp.tasks.record', 'cron': '0 25 * * *'}}}}"
    )
    assert result.returncode == 1
    assert "scalejobs.E501" in result.stderr and "Periodic entry 'nightly'" in result.stderr
