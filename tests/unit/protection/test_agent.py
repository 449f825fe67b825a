"""The agent transport against the local fake agent, which speaks the agent's protocol."""

from __future__ import annotations

import socket
import threading
import time
import tracemalloc

import pytest

from scalejobs.protection.agent import AgentTransport, AnswerTooLarge, judge, read_task_metadata, request
from scalejobs.testing.ecs_agent import FakeAgent, Reply
from scalejobs.protection.verdict import classify


@pytest.fixture
def agent():
    with FakeAgent() as fake:
        yield fake


def transport(agent, read_timeout=2.0):
    return AgentTransport(agent.agent_uri, connect_timeout=1.0, read_timeout=read_timeout)


def test_enabling_sends_exactly_the_two_keys_and_reads_the_protection(agent):
    outcome = transport(agent).update(enabled=True, expires_minutes=5)
    (call,) = agent.puts()
    assert call.body == {"ProtectionEnabled": True, "ExpiresInMinutes": 5}
    assert outcome.kind == "protection" and outcome.enabled is True
    assert outcome.task_arn == agent.task_arn
    assert outcome.expires_at == pytest.approx(time.time() + 300, abs=5)
    assert agent.protected


def test_disabling_sends_only_protection_enabled_and_gets_a_null_expiry(agent):
    transport(agent).update(enabled=True, expires_minutes=5)
    outcome = transport(agent).update(enabled=False, expires_minutes=5)
    assert agent.puts()[-1].body == {"ProtectionEnabled": False}
    assert outcome.kind == "protection" and outcome.enabled is False and outcome.expires_at is None
    assert not agent.protected


def test_reading_returns_the_current_protection(agent):
    transport(agent).update(enabled=True, expires_minutes=5)
    outcome = transport(agent).read()
    assert outcome.kind == "protection" and outcome.enabled is True


def test_a_failure_inside_http_200_is_a_failure(agent):
    agent.script(Reply.failure("TASK_NOT_VALID", "Task is not part of a service"))
    outcome = transport(agent).update(enabled=True, expires_minutes=5)
    assert (outcome.kind, outcome.status, outcome.code, outcome.message) == ("failure", 200, "TASK_NOT_VALID", "Task is not part of a service")
    assert classify(outcome, enable=True, started=0) == "switch off"


@pytest.mark.parametrize(
    ("reply", "status", "code", "verdict"),
    [
        (Reply.throttled(), 400, "ThrottlingException", "retry"),
        (Reply.access_denied(), 400, "AccessDeniedException", "switch off"),
        (Reply.no_task_role(), 403, "AccessDeniedException", "switch off"),
        (Reply.server_error(), 500, "ServerException", "retry"),
        (Reply.request_canceled(), 504, "RequestCanceled", "retry"),
        (Reply.rate_limited(), 429, "", "retry"),
        (Reply.error(400, "InvalidParameterException", "bad"), 400, "InvalidParameterException", "capped"),
    ],
    ids=["throttled", "access-denied", "no-task-role", "server-error", "request-canceled", "rate-limited", "invalid"],
)
def test_errors_are_read_from_the_body_and_classified(agent, reply, status, code, verdict):
    agent.script(reply)
    outcome = transport(agent).update(enabled=True, expires_minutes=5)
    assert (outcome.kind, outcome.status, outcome.code) == ("error", status, code)
    assert outcome.message
    assert classify(outcome, enable=True, started=0) == verdict
    assert not agent.protected


def test_a_slow_agent_costs_at_most_the_read_timeout(agent):
    agent.script(Reply.hang())
    started = time.monotonic()
    outcome = transport(agent, read_timeout=0.5).update(enabled=True, expires_minutes=5)
    assert outcome.kind == "unreachable"
    assert time.monotonic() - started < 2.5


def test_a_closed_port_is_unreachable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    outcome = AgentTransport(f"http://127.0.0.1:{port}/api/x", connect_timeout=0.5, read_timeout=0.5).update(enabled=True, expires_minutes=1)
    assert outcome.kind == "unreachable" and "ConnectionRefusedError" in outcome.message


def test_the_fake_refuses_bodies_the_agent_would_refuse(agent):
    url = agent.agent_uri + "/task-protection/v1/state"
    status, body = request("PUT", url, {"ProtectionEnabled": True, "ExpiresInMinutes": 5, "Extra": 1}, 1, 1)
    assert (status, judge(status, body).code, judge(status, body).message) == (
        400, "InvalidParameterException", "UpdateTaskProtection: failed to decode request"
    )
    status, body = request("PUT", url, {"ExpiresInMinutes": 5}, 1, 1)
    assert judge(status, body).message == "Invalid request: does not contain 'ProtectionEnabled' field"
    status, body = request("PUT", url, {"ProtectionEnabled": True, "ExpiresInMinutes": 0}, 1, 1)
    assert (status, judge(status, body).code) == (400, "InvalidParameterException")
    status, body = request("PUT", url, {"ProtectionEnabled": "yes"}, 1, 1)
    assert judge(status, body).message == "UpdateTaskProtection: failed to decode request"


def test_an_unknown_endpoint_is_not_found(agent):
    outcome = AgentTransport(agent.base_url + "/api/other", connect_timeout=1, read_timeout=1).update(enabled=True, expires_minutes=1)
    assert (outcome.status, outcome.code) == (404, "ResourceNotFoundException")


def test_task_metadata_gives_the_task_arn_and_cluster(agent):
    identity = read_task_metadata(agent.metadata_uri, connect_timeout=1, read_timeout=1)
    assert (identity.task_arn, identity.cluster) == (agent.task_arn, agent.cluster)


def test_protection_lapses_at_its_expiry_in_the_fake(agent, monkeypatch):
    transport(agent).update(enabled=True, expires_minutes=1)
    later = time.time() + 61
    monkeypatch.setattr("scalejobs.testing.ecs_agent.time.time", lambda: later)
    assert transport(agent).read().enabled is False


def test_an_agent_dribbling_its_answer_is_cut_off_at_the_call_deadline_not_per_read(agent):
    # Each byte comes within the read timeout; the whole answer would take about a minute.
    agent.script(Reply.dribbling(every=0.2))
    outcome = AgentTransport(agent.agent_uri, connect_timeout=0.5, read_timeout=0.5).update(enabled=True, expires_minutes=5)
    assert outcome.kind == "unreachable"
    assert "TimeoutError" in outcome.message


def test_a_ten_megabyte_answer_is_refused_after_at_most_80_kib_read(agent):
    agent.script(Reply.flood(10 * 1024 * 1024))
    tracemalloc.start()
    try:
        outcome = transport(agent).update(enabled=True, expires_minutes=5)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert outcome.kind == "unreachable"
    assert "more than 65536 bytes" in outcome.message
    assert peak < 1024 * 1024


def test_an_answer_announcing_more_than_64_kib_is_refused_unread():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]

        def answer():
            connection, _ = server.accept()
            with connection:
                connection.recv(65536)
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10485760\r\n\r\n{")

        thread = threading.Thread(target=answer)
        thread.start()
        with pytest.raises(AnswerTooLarge, match="10485760 bytes"):
            request("GET", f"http://127.0.0.1:{port}/", None, 1.0, 1.0)
        thread.join()
