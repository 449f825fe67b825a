"""Talk to the ECS container agent's task-protection endpoint, with stdlib HTTP.

``PUT $ECS_AGENT_URI/task-protection/v1/state`` with exactly
``{"ProtectionEnabled": bool[, "ExpiresInMinutes": n]}`` (the agent rejects
unknown keys). The answer is judged by its body: ``protection``, ``failure``
(still HTTP 200) or ``error`` (``Code``/``Message``; throttling arrives as
HTTP 400). Connections go straight to the agent (no proxy). One call is
bounded as a whole: connect, send and every read share one deadline (the
connect timeout plus the read timeout, on the monotonic clock), and an
answer over 64 KiB is dropped unread, so neither a hung nor a dribbling nor
a flooding agent delays a job longer than that sum or grows the worker.
"""

from __future__ import annotations

import http.client
import io
import json
import socket
import time
from typing import Any
from urllib.parse import urlsplit

from .transport import Outcome, TaskIdentity, parse_timestamp

PATH = "/task-protection/v1/state"
# The agent's answers are a few hundred bytes; anything past this is not the agent talking.
MAX_ANSWER_BYTES = 64 * 1024
# Room for the status line and headers on top of the body.
HEADER_ALLOWANCE = 16 * 1024


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
    """Make one HTTP request bounded as a whole; return status and body.

    The connect, the send and every read share one deadline of
    ``connect_timeout + read_timeout`` on the monotonic clock, so an agent
    that dribbles a byte at a time cannot stretch the call; answers larger
    than ``MAX_ANSWER_BYTES`` are refused without being read to the end.
    """
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise OSError(f"not an http:// URL: {url!r}")
    deadline = time.monotonic() + connect_timeout + read_timeout
    data = b"" if body is None else json.dumps(body).encode()
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    head = [f"{method} {path} HTTP/1.1", f"Host: {parts.netloc}", "Accept: application/json", "Connection: close"]
    if body is not None:
        head += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    try:
        sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=connect_timeout)
    except socket.timeout as error:
        raise TimeoutError(f"no connection to {parts.netloc} within {connect_timeout} s") from error
    try:
        sock.settimeout(_remaining(deadline, parts.netloc))
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        response = http.client.HTTPResponse(_DeadlineSocket(sock, deadline, parts.netloc), method=method)  # type: ignore[arg-type]
        response.begin()
        length = response.getheader("Content-Length")
        if length is not None and length.isdigit() and int(length) > MAX_ANSWER_BYTES:
            raise AnswerTooLarge(f"{parts.netloc} answered {int(length)} bytes, more than {MAX_ANSWER_BYTES}")
        payload = response.read(MAX_ANSWER_BYTES + 1)
        if len(payload) > MAX_ANSWER_BYTES:
            raise AnswerTooLarge(f"{parts.netloc} answered more than {MAX_ANSWER_BYTES} bytes")
        return response.status, payload
    except socket.timeout as error:
        raise TimeoutError(f"no full answer from {parts.netloc} within the timeout") from error
    finally:
        sock.close()


class AnswerTooLarge(OSError):
    """Raised when the agent's answer exceeds ``MAX_ANSWER_BYTES``."""


def _remaining(deadline: float, netloc: str) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError(f"no full answer from {netloc} within the timeout")
    return left


class _DeadlineSocket:
    """Give ``http.client`` a socket whose every read waits only for what is left of the deadline."""

    def __init__(self, sock: socket.socket, deadline: float, netloc: str) -> None:
        self._raw = _DeadlineReader(sock, deadline, netloc)

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(self._raw)


class _DeadlineReader(io.RawIOBase):
    def __init__(self, sock: socket.socket, deadline: float, netloc: str) -> None:
        self._sock = sock
        self._deadline = deadline
        self._netloc = netloc
        self._read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._sock.settimeout(_remaining(self._deadline, self._netloc))
        count = self._sock.recv_into(buffer)
        self._read += count
        if self._read > MAX_ANSWER_BYTES + HEADER_ALLOWANCE:
            raise AnswerTooLarge(f"{self._netloc} answered more than {MAX_ANSWER_BYTES} bytes")
        return count


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
