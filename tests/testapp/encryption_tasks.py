"""Jobs whose arguments Redis holds encrypted; each records the clear arguments it was given."""

import json

import scalejobs
from scalejobs.store import redis_client

SEALED_RAN = "tests:sealed:ran"
ATTEMPTS = "tests:sealed:attempts"


def _record(name: str, args: list[object], kwargs: dict[str, object]) -> None:
    redis_client().rpush(SEALED_RAN, json.dumps({"job": name, "args": args, "kwargs": kwargs}))


@scalejobs.job(encrypt=True, max_retries=0)
def sealed_record(secret: str, note: str = "") -> None:
    """Record the arguments as the worker decrypted them."""
    _record("sealed_record", [secret], {"note": note})


@scalejobs.job(encrypt=True, max_retries=3, min_backoff=10, max_backoff=50)
def sealed_flaky(secret: str) -> None:
    """Fail the first attempt, then record: the retry must carry the sealed arguments."""
    if redis_client().incr(ATTEMPTS) == 1:
        raise RuntimeError("first attempt fails")
    _record("sealed_flaky", [secret], {})


@scalejobs.job(encrypt=True, unique_for=60, max_retries=0)
def sealed_unique(secret: str) -> None:
    """A unique job: its lock is named by a keyed digest, never by the secret."""
    _record("sealed_unique", [secret], {})


@scalejobs.job(encrypt=True, max_retries=0, throttle=scalejobs.Concurrency(2, key=lambda tenant: f"tenant-{tenant}"))
def sealed_throttled(tenant: str) -> None:
    """A per-tenant throttle: its Redis keys hold a keyed digest of the tenant, never the tenant."""
    _record("sealed_throttled", [tenant], {})


@scalejobs.job(encrypt=True, max_retries=1, min_backoff=10, max_backoff=50)
def sealed_failing(secret: str) -> None:
    """Fail every attempt with an error that quotes the secret argument."""
    raise ValueError(f"cannot charge {secret}")


try:
    from django.tasks import task
except ImportError:
    from django_tasks import task


@task(encrypt=True, unique_for=60, throttle=scalejobs.Concurrency(1, key=lambda secret: f"tenant-{secret}"))
def sealed_task(secret: str) -> str:
    """A Django task sealed like an encrypted job; records and returns its argument."""
    _record("sealed_task", [secret], {})
    return f"done {len(secret)}"
