"""The boto3 transport against botocore's Stubber (moto does not implement task protection)."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from botocore.stub import Stubber

from scalejobs.protection.ecs_api import ECSAPITransport, region_of
from scalejobs.protection.transport import TaskIdentity
from scalejobs.protection.verdict import classify

TASK = TaskIdentity(task_arn="arn:aws:ecs:eu-west-1:123456789012:task/workers/0123456789abcdef", cluster="workers")


@pytest.fixture
def stubbed():
    client = boto3.client("ecs", region_name="eu-west-1", aws_access_key_id="test", aws_secret_access_key="test")
    with Stubber(client) as stubber:
        yield ECSAPITransport(TASK, client=client), stubber
        stubber.assert_no_pending_responses()


def test_enabling_calls_update_task_protection_for_this_task(stubbed):
    transport, stubber = stubbed
    expires = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.timezone.utc)
    stubber.add_response(
        "update_task_protection",
        {"protectedTasks": [{"taskArn": TASK.task_arn, "protectionEnabled": True, "expirationDate": expires}], "failures": []},
        {"cluster": "workers", "tasks": [TASK.task_arn], "protectionEnabled": True, "expiresInMinutes": 30},
    )
    outcome = transport.update(enabled=True, expires_minutes=30)
    assert (outcome.kind, outcome.enabled, outcome.expires_at, outcome.task_arn) == ("protection", True, expires.timestamp(), TASK.task_arn)


def test_disabling_sends_no_expiry(stubbed):
    transport, stubber = stubbed
    stubber.add_response(
        "update_task_protection",
        {"protectedTasks": [{"taskArn": TASK.task_arn, "protectionEnabled": False}], "failures": []},
        {"cluster": "workers", "tasks": [TASK.task_arn], "protectionEnabled": False},
    )
    outcome = transport.update(enabled=False, expires_minutes=30)
    assert (outcome.kind, outcome.enabled, outcome.expires_at) == ("protection", False, None)


def test_a_failures_entry_in_a_200_response_is_a_failure(stubbed):
    transport, stubber = stubbed
    stubber.add_response(
        "update_task_protection",
        {"protectedTasks": [], "failures": [{"arn": TASK.task_arn, "reason": "TASK_NOT_VALID", "detail": "not in a service"}]},
    )
    outcome = transport.update(enabled=True, expires_minutes=30)
    assert (outcome.kind, outcome.code, outcome.message) == ("failure", "TASK_NOT_VALID", "not in a service")
    assert classify(outcome, enable=True, started=0) == "switch off"


@pytest.mark.parametrize(
    ("code", "status", "verdict"),
    [("ThrottlingException", 400, "retry"), ("AccessDeniedException", 400, "switch off"), ("ServerException", 500, "retry"), ("ClientException", 400, "capped")],
)
def test_client_errors_become_error_outcomes(stubbed, code, status, verdict):
    transport, stubber = stubbed
    stubber.add_client_error("update_task_protection", service_error_code=code, service_message="nope", http_status_code=status)
    outcome = transport.update(enabled=True, expires_minutes=30)
    assert (outcome.kind, outcome.code, outcome.message, outcome.status) == ("error", code, "nope", status)
    assert classify(outcome, enable=True, started=0) == verdict


def test_reading_calls_get_task_protection(stubbed):
    transport, stubber = stubbed
    stubber.add_response(
        "get_task_protection",
        {"protectedTasks": [{"taskArn": TASK.task_arn, "protectionEnabled": False}], "failures": []},
        {"cluster": "workers", "tasks": [TASK.task_arn]},
    )
    assert transport.read().enabled is False


def test_the_region_comes_from_the_task_arn():
    assert region_of(TASK.task_arn) == "eu-west-1"
    assert region_of("not-an-arn") is None
