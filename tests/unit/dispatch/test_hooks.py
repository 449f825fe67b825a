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


class Picky(dramatiq.Middleware):
    """Note each message hook, and ignore the actors named ``quiet*``."""

    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    def ignores(self, actor: dramatiq.Actor) -> bool:
        return actor.actor_name.startswith("quiet")

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        self.calls.append(f"process {message.actor_name}")

    def after_ack(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        self.calls.append(f"ack {message.actor_name}")

    def before_declare_actor(self, broker: dramatiq.Broker, actor: dramatiq.Actor) -> None:
        self.calls.append(f"declare {actor.actor_name}")


def test_a_middleware_that_ignores_an_actor_misses_only_its_message_hooks(push):
    calls: list[str] = []
    push.add_middleware(Picky(calls))
    quiet = dramatiq.actor(lambda: None, broker=push, actor_name="quiet_job")
    loud = dramatiq.actor(lambda: None, broker=push, actor_name="loud_job")

    for actor in (quiet, loud):
        proxy = dramatiq.MessageProxy(actor.message())
        push.emit_before("process_message", proxy)
        push.emit_after("ack", proxy)
    push.emit_before("process_message", dramatiq.MessageProxy(message()))  # an actor this process lacks

    assert calls == ["declare quiet_job", "declare loud_job", "process loud_job", "ack loud_job", "process dispatch_probe"]


def test_a_redeclared_actor_is_asked_again(push):
    calls: list[str] = []
    picky = Picky(calls)
    push.add_middleware(picky)
    dramatiq.actor(lambda: None, broker=push, actor_name="quiet_job")
    push.emit_before("process_message", dramatiq.MessageProxy(dramatiq.Message(queue_name="default", actor_name="quiet_job", args=(), kwargs={}, options={})))
    picky.ignores = lambda actor: False  # type: ignore[method-assign]
    del push.actors["quiet_job"]
    dramatiq.actor(lambda: None, broker=push, actor_name="quiet_job")

    push.emit_before("process_message", dramatiq.MessageProxy(dramatiq.Message(queue_name="default", actor_name="quiet_job", args=(), kwargs={}, options={})))

    assert calls[-1] == "process quiet_job"
