import datetime as dt
import decimal
import math

import pytest

from scalejobs.jobs import check_arguments


def test_plain_json_values_pass():
    check_arguments((1, "two", 3.5, None, True, [1, {"a": [2]}], (3,)), {"x": {"nested": ["ok"]}})


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((), {"when": dt.datetime(2026, 1, 1)}, "kwargs['when']: datetime is not JSON serializable"),
        ((1, decimal.Decimal("1.5")), {}, "args[1]: Decimal is not JSON serializable"),
        (([1, {"a": b"x"}],), {}, "args[0][1]['a']: bytes is not JSON serializable"),
        ((), {"data": {1: "one"}}, "kwargs['data']: dict key 1 is not a string, and JSON would turn it into one"),
        ((), {"ratio": math.nan}, "kwargs['ratio']: nan is not JSON serializable (not a finite number)"),
        (({1, 2},), {}, "args[0]: set is not JSON serializable"),
    ],
)
def test_unsafe_argument_is_named_in_the_error(args, kwargs, message):
    with pytest.raises(TypeError) as raised:
        check_arguments(args, kwargs)
    assert str(raised.value) == message


def test_str_and_int_subclasses_pass_because_they_round_trip_as_their_base():
    from enum import IntEnum, StrEnum

    class Color(StrEnum):
        RED = "red"

    class Size(IntEnum):
        SMALL = 1

    check_arguments((Color.RED, Size.SMALL), {})


def test_lazy_translation_is_refused():
    from django.utils.functional import lazy

    lazy_string = lazy(lambda: "hello", str)()
    with pytest.raises(TypeError, match=r"^args\[0\]: __proxy__ is not JSON serializable$"):
        check_arguments((lazy_string,), {})


def test_a_batch_names_the_message_in_the_path():
    with pytest.raises(TypeError, match=r"^args_list\[4\]\[1\]\[0\]: datetime is not JSON serializable$"):
        check_arguments((1, [dt.datetime(2030, 1, 1)]), {}, args_path="args_list[4]", kwargs_path="kwargs_list[4]")
    with pytest.raises(TypeError, match=r"^kwargs_list\[4\]\['when'\]: datetime is not JSON serializable$"):
        check_arguments((), {"when": dt.datetime(2030, 1, 1)}, args_path="args_list[4]", kwargs_path="kwargs_list[4]")
