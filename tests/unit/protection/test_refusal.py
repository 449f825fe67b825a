"""A task ECS refuses to protect because it is going away hands its jobs back instead of starting them."""

from __future__ import annotations

import pytest

from scalejobs.protection.transport import Outcome
from scalejobs.protection.verdict import HANDBACK_LIMIT

from .conftest import TASK

STOPPING = Outcome(kind="failure", status=200, code="TASK_STOPPING", message="The task is being stopped")


def claim(engine, key):
    return engine.claim(key, message_id=f"m-{key}", actor="export", time_limit=None)


def test_a_refused_enable_makes_the_claim_answer_no_and_hold_nothing(make_engine, ecs, ledger):
    ecs.replies.append(STOPPING)
    engine = make_engine()
    assert claim(engine, 1) is False
    assert engine.active == 0
    view = ledger.task(TASK)
    assert view.history[0]["event"] == "refused"
    assert not view.protected_at(0)


def test_every_process_of_a_refused_task_hands_its_jobs_back_without_asking_ecs_again(make_engine, ecs, clock):
    ecs.replies.append(STOPPING)
    first, second = make_engine("host:1:a"), make_engine("host:2:b")
    assert claim(first, 1) is False
    assert claim(second, 2) is False
    assert ecs.calls == [True]


def test_task_not_valid_still_lets_the_job_run(make_engine, ecs):
    ecs.replies.append(Outcome(kind="failure", status=200, code="TASK_NOT_VALID", message="Task is not part of a service"))
    engine = make_engine()
    assert claim(engine, 1) is True


@pytest.mark.parametrize(
    "outcome",
    [Outcome(kind="error", status=400, code="ThrottlingException", message="Rate exceeded"), Outcome(kind="unreachable", message="timeout")],
    ids=["throttled", "unreachable"],
)
def test_an_error_that_is_not_a_refusal_lets_the_job_run_unprotected(make_engine, ecs, outcome):
    ecs.replies.append(outcome)
    assert claim(make_engine(), 1) is True


def test_a_refused_renewal_of_a_protected_task_lets_jobs_run(make_engine, ecs, clock):
    engine = make_engine()
    assert claim(engine, 1) is True
    ecs.replies.append(STOPPING)
    clock.advance(10 * 60 - 100)  # inside the renewal window of the 10-minute expiry
    engine.tick()
    assert ecs.calls == [True, True]
    assert claim(engine, 2) is True


def test_a_success_after_a_refusal_lets_jobs_start_again(make_engine, ecs, clock):
    ecs.replies.append(STOPPING)
    engine = make_engine()
    assert claim(engine, 1) is False
    clock.advance(60)
    assert claim(engine, 2) is True
    assert ecs.calls == [True, True]


def test_after_the_hand_back_limit_of_refusals_in_a_row_jobs_run_unprotected(make_engine, ecs, clock):
    ecs.replies.extend([STOPPING] * (HANDBACK_LIMIT + 1))
    engine = make_engine()
    answers = []
    for key in range(HANDBACK_LIMIT + 1):
        answers.append(claim(engine, key))
        clock.advance(60)
    assert answers == [False] * HANDBACK_LIMIT + [True]
    assert ecs.calls == [True] * (HANDBACK_LIMIT + 1)
