"""Set protection through the ECS API with boto3 (the ``scalejobs[aws]`` extra).

Used when ``SCALEJOBS["PROTECTION"]["TRANSPORT"]`` is ``"boto3"``: calls
``update_task_protection`` / ``get_task_protection`` for this task, found
from ``$ECS_CONTAINER_METADATA_URI_V4/task``, with the task role's
credentials. A 200 response can still carry a ``failures`` entry; it is a
failure. botocore's timeouts and retries are bounded so a job never waits
minutes for its protection.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigurationError
from .transport import Outcome, TaskIdentity, parse_timestamp

# Two attempts in all: the engine has its own backoff across calls.
MAX_ATTEMPTS = 2


def load_boto3() -> Any:
    """Import boto3, or fail with the pip command that installs it."""
    try:
        import boto3
    except ImportError as error:
        raise ConfigurationError(
            "SCALEJOBS['PROTECTION']['TRANSPORT']",
            "is 'boto3' but boto3 is not installed.",
            "Install the extra: pip install 'scalejobs[aws]'.",
        ) from error
    return boto3


def region_of(task_arn: str) -> str | None:
    """Return the region in ``arn:aws:ecs:<region>:<account>:task/...``."""
    parts = task_arn.split(":")
    return parts[3] if len(parts) > 5 and parts[3] else None


class ECSAPITransport:
    """Protect ``task`` by calling the ECS API through a boto3 ``ecs`` client."""

    name = "boto3"

    def __init__(self, task: TaskIdentity, *, client: Any = None, connect_timeout: float = 2.0, read_timeout: float = 5.0) -> None:
        if not task.cluster:
            raise ValueError(f"task {task.task_arn!r}: the boto3 transport needs the cluster from task metadata")
        self.task = task
        self.cluster = task.cluster
        self.client = client if client is not None else self._client(connect_timeout, read_timeout)

    def _client(self, connect_timeout: float, read_timeout: float) -> Any:
        boto3 = load_boto3()
        from botocore.config import Config

        config = Config(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
        )
        return boto3.client("ecs", region_name=region_of(self.task.task_arn), config=config)

    def update(self, *, enabled: bool, expires_minutes: int) -> Outcome:
        """Call ``update_task_protection``; ``expiresInMinutes`` only when enabling."""
        params: dict[str, Any] = {"cluster": self.cluster, "tasks": [self.task.task_arn], "protectionEnabled": enabled}
        if enabled:
            params["expiresInMinutes"] = expires_minutes
        return self._call(self.client.update_task_protection, params)

    def read(self) -> Outcome:
        """Call ``get_task_protection`` for this task."""
        return self._call(self.client.get_task_protection, {"cluster": self.cluster, "tasks": [self.task.task_arn]})

    def _call(self, operation: Any, params: dict[str, Any]) -> Outcome:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = operation(**params)
        except ClientError as error:
            details = error.response.get("Error", {})
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            return Outcome(kind="error", code=str(details.get("Code", "")), message=str(details.get("Message", "")), status=status)
        except BotoCoreError as error:
            return Outcome(kind="unreachable", message=f"{type(error).__name__}: {error}")
        return judge(response)


def judge(response: dict[str, Any]) -> Outcome:
    """Turn an ``update/get_task_protection`` response into an ``Outcome``."""
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    failures = response.get("failures") or []
    if failures:
        failure = failures[0]
        return Outcome(
            kind="failure",
            code=str(failure.get("reason") or ""),
            message=str(failure.get("detail") or ""),
            task_arn=failure.get("arn"),
            status=status,
        )
    tasks = response.get("protectedTasks") or []
    if len(tasks) != 1:
        return Outcome(kind="error", status=status, message=f"expected one protected task, got {len(tasks)}")
    task = tasks[0]
    return Outcome(
        kind="protection",
        enabled=bool(task.get("protectionEnabled")),
        expires_at=parse_timestamp(task.get("expirationDate")),
        task_arn=task.get("taskArn"),
        status=status,
    )
