"""EMF documents keep the format's rules, PutMetricData calls keep the API's, Prometheus text parses; all carry the state set up."""

from __future__ import annotations

import dataclasses
import datetime
import io
import json

import botocore.session
from botocore.stub import Stubber
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families

from scalejobs.dashboard.values import ActorTotals
from scalejobs.metrics import Fleet, QueueMetrics, Snapshot
from scalejobs.metrics.cloudwatch import MAX_DATA_PER_CALL, PutMetricDataSink, metric_data
from scalejobs.metrics.emf import EmfSink, documents
from scalejobs.metrics.prometheus import render
from tests.unit.metrics.state import set_up

# The units CloudWatch accepts (its StandardUnit enumeration).
UNITS = set(botocore.session.get_session().get_service_model("cloudwatch").shape_for("StandardUnit").enum)


def assert_valid_emf(document: dict) -> None:
    """Check one document against the EMF specification's rules."""
    metadata = document["_aws"]
    assert set(metadata) == {"Timestamp", "CloudWatchMetrics"}
    assert isinstance(metadata["Timestamp"], int) and metadata["Timestamp"] > 1_600_000_000_000
    assert metadata["CloudWatchMetrics"]
    for directive in metadata["CloudWatchMetrics"]:
        assert set(directive) == {"Namespace", "Dimensions", "Metrics"}
        assert isinstance(directive["Namespace"], str) and 0 < len(directive["Namespace"]) <= 255
        for dimension_set in directive["Dimensions"]:
            assert len(dimension_set) <= 30
            for key in dimension_set:
                assert isinstance(document[key], str) and document[key]
        assert 0 < len(directive["Metrics"]) <= 100
        names = [metric["Name"] for metric in directive["Metrics"]]
        assert len(names) == len(set(names))
        for metric in directive["Metrics"]:
            assert set(metric) <= {"Name", "Unit", "StorageResolution"}
            assert metric["Unit"] in UNITS
            value = document[metric["Name"]]
            assert isinstance(value, (int, float)) and not isinstance(value, bool)


def by_dimensions(found: list[dict]) -> dict[tuple, dict]:
    """Index documents by their dimension values, keeping only the metric members."""
    indexed = {}
    for document in found:
        [directive] = document["_aws"]["CloudWatchMetrics"]
        [keys] = directive["Dimensions"]
        names = [metric["Name"] for metric in directive["Metrics"]]
        indexed[tuple(document[key] for key in keys)] = {name: document[name] for name in names}
    return indexed


def test_emf_documents_keep_the_format_rules_and_carry_the_state_set_up(metrics, engine, queues, clock):
    set_up(engine, queues, clock)
    stream = io.StringIO()
    EmfSink(namespace="Shop", dimensions={"Service": "worker"}, stream=stream).publish(metrics.snapshot(["default", "exports"]), None)

    found = [json.loads(line) for line in stream.getvalue().splitlines()]
    for document in found:
        assert_valid_emf(document)
        assert document["_aws"]["Timestamp"] == int(clock.now * 1000)
        assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Shop"
    assert [document["_aws"]["CloudWatchMetrics"][0]["Dimensions"] for document in found] == [
        [["Service"]],
        [["Service", "Queue"]],
        [["Service", "Queue"]],
    ]
    assert by_dimensions(found) == {
        ("worker",): {"Workers": 3, "Tasks": 2, "Threads": 16, "BusyThreads": 3, "Utilization": 18.75, "BacklogPerTask": 2.5},
        ("worker", "default"): {"QueueBacklog": 3, "QueueLatency": 41.0, "QueueDelayed": 1, "QueueInFlight": 1},
        ("worker", "exports"): {"QueueBacklog": 2, "QueueLatency": 7.0, "QueueDelayed": 0, "QueueInFlight": 0},
    }


def test_emf_job_counts_are_the_difference_between_two_readings_with_the_mean_duration(metrics, engine, queues, clock):
    set_up(engine, queues, clock)
    first = metrics.snapshot()
    second = dataclasses.replace(
        first,
        at=first.at + 60,
        actors=(ActorTotals(actor="export", processed=5, failed=2, seconds=16.0), ActorTotals(actor="new", processed=2, failed=0, seconds=1.0)),
    )

    found = documents(second, first, namespace="Scalejobs")

    for document in found:
        assert_valid_emf(document)
    actors = {key: value for key, value in by_dimensions(found).items() if key and key[0] in ("export", "new", "send_mail")}
    assert actors == {
        ("export",): {"JobsProcessed": 2, "JobsFailed": 1, "JobDuration": 2.0},
        ("new",): {"JobsProcessed": 2, "JobsFailed": 0, "JobDuration": 0.5},
    }
    assert [d for d in documents(first, None, namespace="Scalejobs") if "Actor" in d] == []


def many_queues(count: int) -> Snapshot:
    queues = tuple(QueueMetrics(queue=f"q{number:04}", backlog=number, latency=0.5, delayed=0, in_flight=1) for number in range(count))
    return Snapshot(at=1_800_000_000.0, queues=queues, fleet=Fleet(workers=2, tasks=1, threads=8, busy_threads=2), actors=())


def test_a_document_never_declares_more_than_100_metrics():
    for document in documents(many_queues(300), None, namespace="Scalejobs"):
        assert_valid_emf(document)


def test_put_metric_data_sends_every_metric_in_batches_the_api_accepts():
    snapshot = many_queues(300)  # 6 fleet + 1,200 queue data: two calls
    data = metric_data(snapshot, None, dimensions={"Service": "worker"})
    assert len(data) == 1206
    client = botocore.session.get_session().create_client(
        "cloudwatch", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        for start in range(0, len(data), MAX_DATA_PER_CALL):
            expected = {"Namespace": "Shop", "MetricData": data[start : start + MAX_DATA_PER_CALL]}
            stubber.add_response("put_metric_data", {}, expected)
        PutMetricDataSink(namespace="Shop", dimensions={"Service": "worker"}, client=client).publish(snapshot, None)
        stubber.assert_no_pending_responses()
    backlog = next(item for item in data if item["MetricName"] == "QueueBacklog" and item["Dimensions"][1]["Value"] == "q0007")
    assert backlog == {
        "MetricName": "QueueBacklog",
        "Dimensions": [{"Name": "Service", "Value": "worker"}, {"Name": "Queue", "Value": "q0007"}],
        "Timestamp": datetime.datetime(2027, 1, 15, 8, 0, tzinfo=datetime.timezone.utc),
        "Value": 7.0,
        "Unit": "Count",
    }


def samples(text: str, parse=text_string_to_metric_families) -> dict[tuple, float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value for family in parse(text) for sample in family.samples
    }


def test_prometheus_text_parses_and_carries_the_state_set_up(metrics, engine, queues, clock):
    set_up(engine, queues, clock)
    body, content_type = render(metrics.snapshot(["default", "exports"]))

    assert content_type.startswith("text/plain; version=0.0.4")
    found = samples(body.decode())
    expected = {
        ("scalejobs_queue_backlog", (("queue", "default"),)): 3,
        ("scalejobs_queue_backlog", (("queue", "exports"),)): 2,
        ("scalejobs_queue_latency_seconds", (("queue", "default"),)): 41,
        ("scalejobs_queue_latency_seconds", (("queue", "exports"),)): 7,
        ("scalejobs_queue_delayed", (("queue", "default"),)): 1,
        ("scalejobs_queue_delayed", (("queue", "exports"),)): 0,
        ("scalejobs_queue_in_flight", (("queue", "default"),)): 1,
        ("scalejobs_queue_in_flight", (("queue", "exports"),)): 0,
        ("scalejobs_workers", ()): 3,
        ("scalejobs_tasks", ()): 2,
        ("scalejobs_threads", ()): 16,
        ("scalejobs_threads_busy", ()): 3,
        ("scalejobs_backlog_per_task", ()): 2.5,
        ("scalejobs_jobs_processed_total", (("actor", "export"),)): 3,
        ("scalejobs_jobs_processed_total", (("actor", "send_mail"),)): 1,
        ("scalejobs_jobs_failed_total", (("actor", "export"),)): 1,
        ("scalejobs_jobs_failed_total", (("actor", "send_mail"),)): 0,
        ("scalejobs_job_duration_seconds_count", (("actor", "export"),)): 4,
        ("scalejobs_job_duration_seconds_sum", (("actor", "export"),)): 10,
        ("scalejobs_job_duration_seconds_count", (("actor", "send_mail"),)): 1,
        ("scalejobs_job_duration_seconds_sum", (("actor", "send_mail"),)): 0.5,
    }
    assert {key: value for key, value in found.items() if not key[0].endswith("_created")} == expected


def test_prometheus_answers_openmetrics_to_a_scraper_that_asks_for_it(metrics, engine, queues, clock):
    set_up(engine, queues, clock)
    body, content_type = render(metrics.snapshot(["default"]), "application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text")
    found = samples(body.decode(), parse_openmetrics)
    assert found[("scalejobs_queue_backlog", (("queue", "default"),))] == 3
    assert found[("scalejobs_jobs_processed_total", (("actor", "export"),))] == 3
