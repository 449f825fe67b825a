"""The example shop's views: a finished export downloads as CSV; a double click makes one export job."""

from __future__ import annotations

import pytest

from example_project.shop.models import Export
from tests.dramatiq_queues import Queues

pytestmark = pytest.mark.django_db


def test_a_finished_export_downloads_as_a_csv_attachment(client):
    export = Export.objects.create(status=Export.Status.DONE, rows=1, content="email,name\nada@example.com,Ada\n")

    response = client.get(f"/exports/{export.pk}.csv")

    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == f'attachment; filename="customers-{export.pk}.csv"'
    assert response.content == b"email,name\nada@example.com,Ada\n"


def test_an_unfinished_export_is_not_found(client):
    export = Export.objects.create()
    assert client.get(f"/exports/{export.pk}.csv").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_double_click_on_export_makes_one_job_and_says_so(client, redis_db):
    first = client.post("/export/", follow=True)
    second = client.post("/export/", follow=True)

    assert "started" in first.content.decode()
    assert "already running" in second.content.decode()
    assert Export.objects.count() == 1
    assert len(Queues(redis_db).ready_payloads("exports")) == 1
