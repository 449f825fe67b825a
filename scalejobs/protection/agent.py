"""Talk to the ECS container agent's task-protection endpoint, with stdlib HTTP.

``PUT $ECS_AGENT_URI/task-protection/v1/state`` with exactly
``{"ProtectionEnabled": bool[, "ExpiresInMinutes": n]}`` (the agent rejects
unknown keys). The answer is judged by its body: ``protection``, ``failure``
(still HTTP 200) or ``error`` (``Code``/``Message``; throttling arrives as
HTTP 400). Connections go straight to the agent (no proxy) with separate,
tight connect and read timeouts, so a hung agent delays a job by at most
their sum.
"""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any
from urllib.parse import urlsplit

from .transport import Outcome, TaskIdentity, parse_timestamp

PATH = "/task-protection/v1/state"


class AgentTransport:
    """Set protection through the ECS agent at ``agent_uri`` (``$ECS_AGENT_URI``)."""

    name = "agent"

    def __init__(self, agent_uri: str, *, connect_timeout: float, read_timeout: float) -> None:
        self.url = agent_uri.rstrip("/") + PATH
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout

    def update(self, *, enabled: bool, expires_minutes: int) -> Outcome:
        """PUT the desired protection; ``expires_minutes`` is sent only when enabling."""
        body: dict[str, Any] = {"ProtectionEnabled": enabled}
        if enabled:
            body["ExpiresInMinutes"] = expires_minutes
        return self._call("PUT", body)

    def read(self) -> Outcome:
        """GET the task's current protection."""
        return self._call("GET", None)

    def _call(self, method: str, body: dict[str, Any] | None) -> Outcome:
        try:
            status, payload = request(method, self.url, body, self.connect_timeout, self.read_timeout)
        except (OSError, http.client.HTTPException) as error:
            return Outcome(kind="unreachable", message=f"{type(error).__name__}: {error}")
        return judge(status, payload)


def request(
    method: str, url: str, body: dict[str, Any] | None, connect_timeout: float, read_timeout: float
) -> tuple[int, bytes]:
    """Make one HTTP request with separate connect and read timeouts; return status and body."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise OSError(f"not an http:// URL: {url!r}")
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=connect_timeout)
    try:
        connection.connect()
        assert connection.sock is not None
        connection.sock.settimeout(read_timeout)
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    except socket.timeout as error:
        raise TimeoutError(f"no answer from {parts.netloc} within the timeout") from error
    finally:
        connection.close()


def judge(status: int, payload: bytes) -> Outcome:
    """Turn the agent's HTTP answer into an ``Outcome``, by body first, status second."""
    try:
        document = json.loads(payload) if payload else {}
    except ValueError:
        document = None
    if not isinstance(document, dict):
        text = payload[:200].decode("utf-8", "replace").strip()
        return Outcome(kind="error", status=status, message=text or "unreadable answer")
    if isinstance(document.get("protection"), dict) and status == 200:
        protection = document["protection"]
        try:
            expires_at = parse_timestamp(protection.get("ExpirationDate"))
        except ValueError:
            return Outcome(kind="error", status=status, message="unreadable ExpirationDate")
        return Outcome(
            kind="protection",
            enabled=bool(protection.get("ProtectionEnabled")),
            expires_at=expires_at,
            task_arn=protection.get("TaskArn"),
            status=status,
        )
    if isinstance(document.get("failure"), dict):
        failure = document["failure"]
        return Outcome(
            kind="failure",
            code=str(failure.get("Reason") or ""),
            message=str(failure.get("Detail") or ""),
            task_arn=failure.get("Arn"),
            status=status,
        )
    error = document.get("error")
    if isinstance(error, dict):
        return Outcome(
            kind="error",
            code=str(error.get("Code") or ""),
            message=str(error.get("Message") or ""),
            task_arn=error.get("Arn") or None,
            status=status,
        )
    return Outcome(kind="error", status=status, message="answer without protection, failure or error")


def read_task_metadata(metadata_uri: str, *, connect_timeout: float, read_timeout: float) -> TaskIdentity:
    """Return the task ARN and cluster from ``$ECS_CONTAINER_METADATA_URI_V4/task``.

    Raises ``OSError`` when the endpoint cannot be read or lacks ``TaskARN``.
    """
    try:
        status, payload = request("GET", metadata_uri.rstrip("/") + "/task", None, connect_timeout, read_timeout)
    except http.client.HTTPException as error:
        raise OSError(f"task metadata: {error}") from error
    if status != 200:
        raise OSError(f"task metadata answered HTTP {status}")
    try:
        document = json.loads(payload)
    except ValueError as error:
        raise OSError("task metadata is not JSON") from error
    if not isinstance(document, dict) or not document.get("TaskARN"):
        raise OSError("task metadata has no TaskARN")
    return TaskIdentity(task_arn=str(document["TaskARN"]), cluster=document.get("Cluster") or None)


def endpoint_identity(agent_uri: str) -> TaskIdentity:
    """Name the task after the agent endpoint id when no task metadata is available."""
    endpoint = urlsplit(agent_uri).path.rstrip("/").rsplit("/", 1)[-1]
    return TaskIdentity(task_arn=f"agent-endpoint/{endpoint or agent_uri}")
