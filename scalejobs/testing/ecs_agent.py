"""A local stand-in for the ECS agent's task-protection and task-metadata endpoints.

It speaks the agent's protocol as the agent's own handlers do: ``PUT`` and
``GET /api/<endpoint>/task-protection/v1/state`` answer
``{"protection": {...}}``, ``{"failure": {...}}`` with HTTP 200, or
``{"error": {"Code", "Message"}}``; a body with an unknown key or without
``ProtectionEnabled`` is refused with ``InvalidParameterException``; an
unknown endpoint id gets 404 ``ResourceNotFoundException``.
``GET /v4/<endpoint>/task`` serves task metadata (``TaskARN``, ``Cluster``).

Tests script it per call (``agent.script(Reply.throttled(), Reply.ok())``),
read ``agent.calls``, and point workers at it with ``agent.environ()``.
``python -m scalejobs.testing.ecs_agent`` runs one for the demo and
prints the environment to give the workers; other processes can script it
over ``POST /_fake/script`` and read ``GET /_fake/calls``. It is one module,
longer than most, so the whole protocol it imitates reads top to bottom.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_TASK_ARN = "arn:aws:ecs:us-east-1:123456789012:task/scalejobs-demo/0f1e2d3c4b5a69788796a5b4c3d2e1f0"
DEFAULT_CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/scalejobs-demo"
# The agent's answer when its own per-caller rate limiter trips.
RATE_LIMIT_TEXT = "You have reached maximum request limit."
MAX_EXPIRES_MINUTES = 2880


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """One scripted answer; ``status=None`` means "behave like the real agent"."""

    status: int | None = None
    body: Any = None
    delay: float = 0.0
    # Seconds between bytes of the answer (0: send it at once).
    dribble: float = 0.0
    # Pad the answer to this many bytes of JSON whitespace, streamed (0: no padding).
    size: int = 0

    @classmethod
    def ok(cls, *, delay: float = 0.0) -> Reply:
        """Apply the request and answer as the agent does on success."""
        return cls(delay=delay)

    @classmethod
    def failure(cls, reason: str, detail: str | None = None, *, arn: str = "") -> Reply:
        """Answer HTTP 200 with a ``failure`` object, e.g. ``TASK_NOT_VALID``."""
        return cls(status=200, body={"failure": {"Arn": arn or None, "Detail": detail, "Reason": reason}})

    @classmethod
    def error(cls, status: int, code: str, message: str, *, request_id: bool = True) -> Reply:
        """Answer ``status`` with an ``error`` object carrying ``Code`` and ``Message``."""
        body: dict[str, Any] = {"error": {"Code": code, "Message": message}}
        if request_id:
            body = {"requestID": str(uuid.uuid4()), **body}
        return cls(status=status, body=body)

    @classmethod
    def throttled(cls) -> Reply:
        """ECS control-plane throttling, passed through by the agent as HTTP 400."""
        return cls.error(400, "ThrottlingException", "Rate exceeded")

    @classmethod
    def rate_limited(cls) -> Reply:
        """The agent's own local rate limiter: HTTP 429 with a plain-text body."""
        return cls(status=429, body=RATE_LIMIT_TEXT)

    @classmethod
    def access_denied(cls) -> Reply:
        """The task role lacks ``ecs:UpdateTaskProtection``."""
        return cls.error(
            400,
            "AccessDeniedException",
            "User: arn:aws:sts::123456789012:assumed-role/worker-task-role/0f1e2d3c is not authorized "
            "to perform: ecs:UpdateTaskProtection on resource: the task because no identity-based policy allows it",
        )

    @classmethod
    def no_task_role(cls) -> Reply:
        """The task has no task role at all (the agent answers 403 itself)."""
        return cls.error(403, "AccessDeniedException", "Invalid Request: no task IAM role credentials available for task", request_id=False)

    @classmethod
    def server_error(cls) -> Reply:
        """The agent failed on its side."""
        return cls.error(500, "ServerException", "Unexpected error occurred", request_id=False)

    @classmethod
    def request_canceled(cls) -> Reply:
        """The agent could not reach ECS in time."""
        return cls.error(504, "RequestCanceled", "Timed out calling ECS Task Protection API", request_id=False)

    @classmethod
    def slow(cls, seconds: float, then: Reply | None = None) -> Reply:
        """Wait ``seconds`` before answering like ``then`` (default: success)."""
        then = then or cls.ok()
        return cls(status=then.status, body=then.body, delay=seconds)

    @classmethod
    def stopping(cls) -> Reply:
        """Refuse to protect a task that ECS is stopping (scale-in chose it): HTTP 200 with a ``failure``.

        ECS does not document the reason it gives; any reason other than
        ``TASK_NOT_VALID`` means the same to the workers.
        """
        return cls.failure("TASK_STOPPING", "The task is being stopped and cannot be protected")

    @classmethod
    def dribbling(cls, every: float = 0.5, then: Reply | None = None) -> Reply:
        """Answer like ``then`` (default: success), one byte every ``every`` seconds."""
        then = then or cls.ok()
        return cls(status=then.status, body=then.body, delay=then.delay, dribble=every)

    @classmethod
    def flood(cls, size: int = 10 * 1024 * 1024) -> Reply:
        """Answer HTTP 200 with ``size`` bytes: a valid protection document padded with whitespace."""
        return cls(size=size)

    @classmethod
    def hang(cls) -> Reply:
        """Never answer (until the fake stops)."""
        return cls(delay=3600.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    """One request the fake received, and what it answered."""

    at: float
    method: str
    path: str
    body: Any
    status: int
    response: Any

    @property
    def enabled(self) -> bool | None:
        """``ProtectionEnabled`` of a PUT body, if any."""
        return self.body.get("ProtectionEnabled") if isinstance(self.body, dict) else None


@dataclass
class _Protection:
    enabled: bool = False
    expires_at: float | None = None
    changes: list[tuple[float, bool]] = field(default_factory=list)


class FakeAgent:
    """An in-process HTTP server speaking the ECS agent's task-protection protocol."""

    def __init__(
        self,
        *,
        task_arn: str = DEFAULT_TASK_ARN,
        cluster: str = DEFAULT_CLUSTER,
        endpoint_id: str = "fake-endpoint",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.task_arn = task_arn
        self.cluster = cluster
        self.endpoint_id = endpoint_id
        self.calls: list[Call] = []
        self._scripts: dict[str, deque[Reply]] = {"PUT": deque(), "GET": deque()}
        self._fallback: Reply | None = None
        self._shape = Reply()
        self._protection = _Protection()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeAgent:
        """Serve in a daemon thread; return self."""
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-ecs-agent", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release every hanging answer."""
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeAgent:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def agent_uri(self) -> str:
        """The value of ``ECS_AGENT_URI`` for workers using this fake."""
        return f"{self.base_url}/api/{self.endpoint_id}"

    @property
    def metadata_uri(self) -> str:
        """The value of ``ECS_CONTAINER_METADATA_URI_V4`` for workers using this fake."""
        return f"{self.base_url}/v4/{self.endpoint_id}"

    def environ(self) -> dict[str, str]:
        """Return the environment variables that point a worker at this fake."""
        return {"ECS_AGENT_URI": self.agent_uri, "ECS_CONTAINER_METADATA_URI_V4": self.metadata_uri}

    # -- scripting and inspection ------------------------------------------------------------

    def script(self, *replies: Reply, method: str = "PUT") -> None:
        """Answer the next requests of ``method`` with ``replies``, in order."""
        with self._lock:
            self._scripts[method].extend(replies)

    def respond_always(self, reply: Reply | None) -> None:
        """Answer every unscripted request with ``reply`` (None: behave normally again)."""
        with self._lock:
            self._fallback = reply

    def reset(self) -> None:
        """Forget calls, scripts and protection."""
        with self._lock:
            self.calls.clear()
            for queue in self._scripts.values():
                queue.clear()
            self._fallback = None
            self._protection = _Protection()

    def puts(self) -> list[Call]:
        """Return the PUT calls to the protection endpoint, oldest first."""
        with self._lock:
            return [call for call in self.calls if call.method == "PUT" and call.path.endswith("/task-protection/v1/state")]

    @property
    def protected(self) -> bool:
        """Whether the fake task is protected right now."""
        with self._lock:
            return self._current(time.time())[0]

    def changes(self) -> list[tuple[float, bool]]:
        """Return ``(time, enabled)`` for every successful PUT, oldest first."""
        with self._lock:
            return list(self._protection.changes)

    # -- the protocol ------------------------------------------------------------------------

    def _current(self, now: float) -> tuple[bool, float | None]:
        state = self._protection
        if state.enabled and state.expires_at is not None and state.expires_at <= now:
            state.enabled, state.expires_at = False, None
        return state.enabled, state.expires_at

    def _protection_body(self, now: float) -> dict[str, Any]:
        enabled, expires_at = self._current(now)
        expiration = None
        if expires_at is not None:
            moment = dt.datetime.fromtimestamp(expires_at, dt.timezone.utc)
            expiration = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {"protection": {"ExpirationDate": expiration, "ProtectionEnabled": enabled, "TaskArn": self.task_arn}}

    def _error(self, status: int, code: str, message: str, arn: str = "") -> tuple[int, Any]:
        error = {"Arn": arn, "Code": code, "Message": message} if arn else {"Code": code, "Message": message}
        return status, {"error": error}

    def handle(self, method: str, path: str, raw: bytes) -> tuple[int, Any, Reply]:
        """Answer one request; return status, body and how to send it (delay, dribble, size)."""
        now = time.time()
        body: Any = _decode(raw)
        with self._lock:
            self._shape = Reply()
            status, response, delay = self._answer(method, path, body, raw, now)
            self.calls.append(Call(at=now, method=method, path=path, body=body, status=status, response=response))
            shape = Reply(delay=delay, dribble=self._shape.dribble, size=self._shape.size)
        return status, response, shape

    def _answer(self, method: str, path: str, body: Any, raw: bytes, now: float) -> tuple[int, Any, float]:
        parts = path.split("?")[0].strip("/").split("/")
        if len(parts) == 3 and parts[0] == "v4" and parts[2] == "task" and method == "GET":
            if parts[1] != self.endpoint_id:
                return 404, {"error": "task metadata not found"}, 0.0
            return 200, self._metadata(), 0.0
        if len(parts) == 5 and parts[0] == "api" and parts[2:] == ["task-protection", "v1", "state"]:
            if method not in ("PUT", "GET"):
                return 405, "Method Not Allowed", 0.0
            return self._protection_answer(method, parts[1], body, raw, now)
        return 404, "404 page not found", 0.0

    def _protection_answer(self, method: str, endpoint: str, body: Any, raw: bytes, now: float) -> tuple[int, Any, float]:
        if method == "PUT":
            checked = self._check_request(raw)
            if checked is not None:
                return (*checked, 0.0)
        if endpoint != self.endpoint_id:
            return (*self._error(404, "ResourceNotFoundException", "Failed to find a task for the request"), 0.0)
        if method == "PUT" and (not isinstance(body, dict) or body.get("ProtectionEnabled") is None):
            return (*self._error(400, "InvalidParameterException", "Invalid request: does not contain 'ProtectionEnabled' field", self.task_arn), 0.0)
        queue = self._scripts[method]
        reply = queue.popleft() if queue else (self._fallback or Reply.ok())
        self._shape = reply
        if reply.status is not None:
            response = reply.body
            if isinstance(response, dict) and isinstance(response.get("failure"), dict) and not response["failure"].get("Arn"):
                response = {"failure": {**response["failure"], "Arn": self.task_arn}}
            if isinstance(response, dict) and isinstance(response.get("error"), dict) and reply.status == 400:
                response = {**response, "error": {"Arn": self.task_arn, **response["error"]}}
            return reply.status, response, reply.delay
        if method == "PUT":
            minutes = body.get("ExpiresInMinutes")
            if minutes is not None and not 1 <= minutes <= MAX_EXPIRES_MINUTES:
                return (
                    *self._error(400, "InvalidParameterException", "The specified expiresInMinutes is outside the range 1 to 2880.", self.task_arn),
                    reply.delay,
                )
            enabled = body["ProtectionEnabled"]
            state = self._protection
            state.enabled = enabled
            state.expires_at = now + 60 * (120 if minutes is None else minutes) if enabled else None
            state.changes.append((now, enabled))
        return 200, self._protection_body(now), reply.delay

    def _check_request(self, raw: bytes) -> tuple[int, Any] | None:
        """Decode a PUT body as the agent does: JSON object, known keys, right types."""
        decode_error = self._error(400, "InvalidParameterException", "UpdateTaskProtection: failed to decode request")
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            return decode_error
        if body is None:
            return None if raw.strip() == b"null" else decode_error
        if not isinstance(body, dict) or set(body) - {"ProtectionEnabled", "ExpiresInMinutes"}:
            return decode_error
        enabled, minutes = body.get("ProtectionEnabled"), body.get("ExpiresInMinutes")
        if enabled is not None and not isinstance(enabled, bool):
            return decode_error
        if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int)):
            return decode_error
        return None

    def _metadata(self) -> dict[str, Any]:
        return {
            "Cluster": self.cluster,
            "TaskARN": self.task_arn,
            "Family": "scalejobs-worker",
            "Revision": "1",
            "DesiredStatus": "RUNNING",
            "KnownStatus": "RUNNING",
            "LaunchType": "FARGATE",
            "AvailabilityZone": "us-east-1a",
            "Containers": [],
        }

    # -- control API for other processes ---------------------------------------------------

    def control(self, method: str, path: str, raw: bytes) -> tuple[int, Any]:
        """Serve ``/_fake/...``: read calls, script replies, reset."""
        if method == "GET" and path == "/_fake/calls":
            with self._lock:
                return 200, [asdict(call) for call in self.calls]
        if method == "POST" and path == "/_fake/script":
            document = _decode(raw)
            replies = document.get("replies", []) if isinstance(document, dict) else []
            self.script(*(Reply(**reply) for reply in replies), method=document.get("method", "PUT"))
            return 200, {"scripted": len(replies)}
        if method == "POST" and path == "/_fake/reset":
            self.reset()
            return 200, {"reset": True}
        return 404, "404 page not found"


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeECSAgent/1"

    def _serve(self, method: str) -> None:
        fake: FakeAgent = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.startswith("/_fake/"):
            status, body = fake.control(method, self.path, raw)
            shape = Reply()
        else:
            status, body, shape = fake.handle(method, self.path, raw)
        if shape.delay and fake._stopping.wait(shape.delay):
            return
        self._send(status, body, shape, fake._stopping)

    def _send(self, status: int, body: Any, shape: Reply, stopping: threading.Event) -> None:
        if isinstance(body, str):
            payload, kind = body.encode(), "text/plain; charset=utf-8"
        else:
            payload, kind = json.dumps(body).encode(), "application/json"
        padding = max(0, shape.size - len(payload))
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            if not shape.dribble and not shape.size:
                # Dribbles and floods announce no length: only the reader's deadline and cap stop them.
                self.send_header("Content-Length", str(len(payload) + padding))
            if status == 429:
                self.send_header("X-Rate-Limit-Limit", "40.00")
                self.send_header("X-Rate-Limit-Duration", "1")
            self.end_headers()
            if shape.dribble:
                for index in range(len(payload)):
                    self.wfile.write(payload[index : index + 1])
                    self.wfile.flush()
                    if stopping.wait(shape.dribble):
                        return
                return
            self.wfile.write(payload)
            chunk = b" " * 65536
            while padding > 0:
                self.wfile.write(chunk[:padding])
                padding -= len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._serve("GET")

    def do_PUT(self) -> None:  # noqa: N802
        self._serve("PUT")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)


def main(argv: list[str] | None = None) -> None:
    """Run a fake agent until interrupted, printing the environment workers need."""
    parser = argparse.ArgumentParser(prog="python -m scalejobs.testing.ecs_agent", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--task-arn", default=DEFAULT_TASK_ARN)
    parser.add_argument("--cluster", default=DEFAULT_CLUSTER)
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    options = parser.parse_args(argv)
    agent = FakeAgent(task_arn=options.task_arn, cluster=options.cluster, host=options.host, port=options.port)
    agent._server.verbose = not options.quiet  # type: ignore[attr-defined]
    agent.start()
    for name, value in agent.environ().items():
        print(f"export {name}={value}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        agent.stop()


if __name__ == "__main__":
    main()
