"""The push broker calls each hook on the middleware that define it, and sees a changed stack at once."""

from __future__ import annotations

import dramatiq
import pytest
from dramatiq.middleware import AgeLimit, MiddlewareError, Retries

from scalejobs.dispatch.hooks import listeners

from .conftest import message


class Veto(MiddlewareError):
    """Raised by the test middleware."""


class Noting(dramatiq.Middleware):
    def __init__(self, name: str, calls: list[str], *, fail: BaseException | None = None) -> None:
        self.name, self.calls, self.fail = name, calls, fail

    def before_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message, delay: int | None) -> None:
        self.calls.append(f"before {self.name}")
        if self.fail is not None:
            raise self.fail

    def after_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message, delay: int | None) -> None:
        self.calls.append(f"after {self.name}")


def test_only_middleware_that_define_a_hook_listen_to_it():
    age, retries, noting = AgeLimit(), Retries(), Noting("n", [])

    assert listeners([age, noting, retries], "before_enqueue") == (noting,)
    assert listeners([age, noting, retries], "after_process_message") == (retries,)


def test_a_hook_set_on_an_instance_counts_and_a_changed_stack_is_seen_at_once():
    age = AgeLimit()
    stack: list[dramatiq.Middleware] = [age]
    assert listeners(stack, "after_ack") == ()

    age.after_ack = lambda broker, message: None  # type: ignore[method-assign]
    retries = Retries()
    retries.after_ack = lambda broker, message: None  # type: ignore[method-assign]
    stack.append(retries)

    assert listeners(stack, "after_ack") == (age, retries)


def test_hooks_run_in_dramatiqs_order_with_its_error_rules(push, redis_db, caplog):
    calls: list[str] = []
    push.add_middleware(Noting("a", calls))
    push.add_middleware(Noting("broken", calls, fail=RuntimeError("logged, not raised")))
    push.add_middleware(Noting("b", calls))

    push.enqueue(message())

    assert calls == ["before a", "before broken", "before b", "after b", "after broken", "after a"]
    assert "Unexpected failure in before_enqueue" in caplog.text

    push.add_middleware(Noting("veto", calls, fail=Veto("refused")))
    with pytest.raises(Veto):
        push.enqueue(message())
