"""Jobs enqueued through the public API run in a real rundramatiq worker."""

import datetime as dt

import pytest
from django.db import transaction

from example_project.shop.models import Customer, Export
from example_project.shop.tasks import export_customers
from tests.conftest import wait_for
from tests.testapp.tasks import RECORD, record

pytestmark = pytest.mark.system


def ran(redis_db):
    return [entry.decode().split("|")[0] for entry in redis_db.lrange(RECORD, 0, -1)]


def test_perform_later_and_perform_in_run_in_a_real_worker(broker, redis_db, start_worker):
    start_worker("--processes", "1", "--threads", "2")
    record.perform_later("now")
    record.perform_in(dt.timedelta(seconds=1), "later")
    wait_for(lambda: sorted(ran(redis_db)) == ["later", "now"], timeout=60)


@pytest.mark.django_db(transaction=True)
def test_a_job_enqueued_in_a_transaction_sees_the_committed_rows(broker, redis_db, start_worker, tmp_path):
    start_worker("--processes", "1", "--threads", "2", "--queues", "exports")
    with transaction.atomic():
        Customer.objects.create(email="ada@example.com", name="Ada")
        export = Export.objects.create()
        export_customers.perform_later(export.pk, seconds_per_row=0)

    def finished():
        export.refresh_from_db()
        return export.status == Export.Status.DONE

    wait_for(finished, timeout=60)
    assert export.rows == 1
