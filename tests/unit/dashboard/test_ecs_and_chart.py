"""The worker finds its ECS task from the metadata endpoint; the chart scales to the busiest minute."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from scalejobs.dashboard.chart import throughput_chart
from scalejobs.dashboard.ecs import METADATA_VARIABLE, task_arn
from scalejobs.dashboard.values import MinuteCount

ARN = "arn:aws:ecs:eu-west-1:123456789012:task/shop/0123456789abcdef"


@pytest.fixture
def metadata_endpoint():
    """Serve ``/task`` like the ECS task metadata endpoint v4; return the base URI."""
    answers = {"/task": (200, json.dumps({"TaskARN": ARN, "Cluster": "shop"}).encode())}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = answers.get(self.path, (404, b"{}"))
            self.send_response(status)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/v4/abc", answers
    server.shutdown()


def test_the_task_arn_comes_from_the_metadata_endpoint(metadata_endpoint):
    uri, answers = metadata_endpoint
    answers["/v4/abc/task"] = answers["/task"]
    assert task_arn({METADATA_VARIABLE: uri}) == ARN


def test_outside_ecs_there_is_no_task():
    assert task_arn({}) is None


def test_an_unreadable_endpoint_leaves_the_task_unknown(metadata_endpoint):
    uri, _ = metadata_endpoint
    assert task_arn({METADATA_VARIABLE: uri + "/missing"}) is None


def test_the_chart_scales_to_the_busiest_minute_and_labels_every_quarter_hour():
    minutes = [MinuteCount(minute=60.0 * index, processed=index, failed=1 if index == 30 else 0) for index in range(61)]
    chart = throughput_chart(minutes, width=640, height=120)
    assert (chart.peak, chart.total_processed, chart.total_failed) == (60, 1830, 1)
    assert [label for _, label, _ in chart.ticks] == ["-60 min", "-45 min", "-30 min", "-15 min", "now"]
    assert [anchor for _, _, anchor in chart.ticks] == ["start", "middle", "middle", "middle", "end"]
    first, *_, last = chart.processed.split()
    assert (first, last) == (f"40.0,{chart.bottom:.1f}", f"636.0,{chart.top:.1f}")


def test_an_idle_hour_draws_flat_lines_without_dividing_by_zero():
    chart = throughput_chart([MinuteCount(minute=0.0, processed=0, failed=0)] * 60)
    assert chart.peak == 1
    assert {point.split(",")[1] for point in chart.failed.split()} == {f"{chart.bottom:.1f}"}
