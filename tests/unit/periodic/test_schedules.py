"""Cron and interval schedules: ticks, time zones, daylight saving time."""

import datetime as dt
from itertools import islice
from zoneinfo import ZoneInfo

import pytest

from scalejobs.periodic.schedules import Every, count_ticks, every, parse_cron

PARIS = ZoneInfo("Europe/Paris")
TOKYO = ZoneInfo("Asia/Tokyo")


def at(*args, tz=PARIS):
    return int(dt.datetime(*args, tzinfo=tz).timestamp())


def local(tick, tz=PARIS):
    return dt.datetime.fromtimestamp(tick, tz).strftime("%Y-%m-%d %H:%M %z")


def test_interval_ticks_are_multiples_of_the_interval_since_the_epoch():
    schedule = every(seconds=30)
    assert list(islice(schedule.ticks(1_000_000_005), 3)) == [1_000_000_020, 1_000_000_050, 1_000_000_080]
    assert list(islice(schedule.ticks(1_000_000_020), 1)) == [1_000_000_050]
    assert schedule.last_at_or_before(1_000_000_049) == 1_000_000_020


def test_every_adds_its_units_and_refuses_fractions_and_zero():
    assert every(hours=1, minutes=30) == Every(5400)
    with pytest.raises(ValueError, match="1.5 seconds is not a whole number"):
        every(seconds=1.5)
    with pytest.raises(ValueError, match="0 is not a whole number of seconds >= 1"):
        every()


def test_cron_ticks_are_read_in_the_entry_time_zone():
    schedule = parse_cron("0 9 * * *", TOKYO)
    first = next(schedule.ticks(at(2026, 5, 1, 12, 0, tz=TOKYO)))
    assert local(first, TOKYO) == "2026-05-02 09:00 +0900"
    assert local(first, ZoneInfo("UTC")) == "2026-05-02 00:00 +0000"


def test_a_time_skipped_by_the_spring_change_fires_right_after_the_jump():
    schedule = parse_cron("30 2 * * *", PARIS)
    ticks = islice(schedule.ticks(at(2026, 3, 28, 12, 0)), 2)
    assert [local(tick) for tick in ticks] == ["2026-03-29 03:00 +0200", "2026-03-30 02:30 +0200"]


def test_a_time_repeated_by_the_autumn_change_fires_at_both_instants():
    schedule = parse_cron("30 2 * * *", PARIS)
    ticks = islice(schedule.ticks(at(2026, 10, 24, 12, 0)), 3)
    assert [local(tick) for tick in ticks] == ["2026-10-25 02:30 +0200", "2026-10-25 02:30 +0100", "2026-10-26 02:30 +0100"]


def test_invalid_cron_expressions_are_refused_by_name():
    for expression in ["61 * * * *", "* * * *", "every day", "* * * * * *"]:
        with pytest.raises(ValueError, match="cron expression"):
            parse_cron(expression, PARIS)
    assert parse_cron("@hourly", PARIS).expression == "@hourly"


def test_schedules_describe_themselves_in_a_few_words():
    assert every(hours=1, minutes=30).describe() == "every 1h 30m"
    assert every(days=1, seconds=5).describe() == "every 1d 5s"
    assert parse_cron("*/5 * * * *", PARIS).describe() == "*/5 * * * *"


def test_counting_ticks_stops_at_the_limit():
    assert count_ticks(every(seconds=10), 0, 100, limit=1000) == 10
    assert count_ticks(every(seconds=1), 0, 10**9, limit=5) == 5
    assert count_ticks(parse_cron("0 * * * *", PARIS), at(2026, 1, 1, 0, 30), at(2026, 1, 1, 5, 0), limit=100) == 5
