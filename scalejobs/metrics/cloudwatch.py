"""Send a ``Snapshot`` to CloudWatch with ``PutMetricData``, for deployments that don't ship logs.

The same metrics, names and units as the EMF documents (``emf.groups``),
sent in batches within the API's limits. boto3 comes with the ``[aws]``
extra and is imported only when this sink is built.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from typing import Any

from ..errors import ConfigurationError
from .emf import groups
from .values import Snapshot

# PutMetricData takes at most 1,000 metric data per request (and 1 MB, far above 1,000 of ours).
MAX_DATA_PER_CALL = 1000


def metric_data(snapshot: Snapshot, previous: Snapshot | None, *, dimensions: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Return the ``MetricData`` entries of one reading."""
    timestamp = datetime.datetime.fromtimestamp(snapshot.at, tz=datetime.timezone.utc)
    data = []
    for own, metrics in groups(snapshot, previous):
        keys = [{"Name": name, "Value": value} for name, value in {**(dimensions or {}), **own}.items()]
        for name, value, unit in metrics:
            data.append({"MetricName": name, "Dimensions": keys, "Timestamp": timestamp, "Value": float(value), "Unit": unit})
    return data


def batches(data: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Split ``data`` into lists one call accepts."""
    for start in range(0, len(data), MAX_DATA_PER_CALL):
        yield data[start : start + MAX_DATA_PER_CALL]


def cloudwatch_client() -> Any:
    """Return a boto3 CloudWatch client, from the usual credential and region chain."""
    try:
        import boto3
    except ImportError as error:
        raise ConfigurationError(
            "SCALEJOBS['METRICS']['PUT_METRIC_DATA']",
            "is True, and boto3 is not installed.",
            "pip install 'scalejobs[aws]', or publish through EMF instead.",
        ) from error
    return boto3.client("cloudwatch")


class PutMetricDataSink:
    """Call ``PutMetricData`` for each reading, in as few calls as the limits allow."""

    name = "put_metric_data"

    def __init__(self, *, namespace: str, dimensions: Mapping[str, str] | None = None, client: Any = None) -> None:
        self.namespace = namespace
        self.dimensions = dict(dimensions or {})
        self.client = client if client is not None else cloudwatch_client()

    def publish(self, snapshot: Snapshot, previous: Snapshot | None) -> None:
        """Send the reading."""
        for batch in batches(metric_data(snapshot, previous, dimensions=self.dimensions)):
            self.client.put_metric_data(Namespace=self.namespace, MetricData=batch)
