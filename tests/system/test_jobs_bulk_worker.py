"""Jobs enqueued with perform_bulk run in a real rundramatiq worker, each once."""

import pytest

from tests.conftest import wait_for
from tests.testapp.tasks import RECORD, record
from tests.testapp.unique_tasks import RECORD as UNIQUE_RECORD
from tests.testapp.unique_tasks import unique_record

pytestmark = pytest.mark.system


def test_a_real_worker_runs_every_bulk_enqueued_job_once(broker, redis_db, start_worker):
    start_worker("--processes", "1", "--threads", "4", "--queues", "default", "unique")
    record.perform_bulk([(f"job-{n}",) for n in range(1500)])
    sent = unique_record.perform_bulk([("u1",), ("u2",), ("u1",)])
    assert sent[2] is None

    def ran() -> list[str]:
        return [entry.decode().split("|")[0] for entry in redis_db.lrange(RECORD, 0, -1)]

    wait_for(lambda: len(ran()) >= 1500, timeout=90)
    assert sorted(ran()) == sorted(f"job-{n}" for n in range(1500))
    wait_for(lambda: redis_db.llen(UNIQUE_RECORD) >= 2, timeout=30)
    assert sorted(entry.decode().split("|")[1] for entry in redis_db.lrange(UNIQUE_RECORD, 0, -1)) == ["u1", "u2"]
