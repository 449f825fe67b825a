"""The autoscaling policies in deploy/ are valid API input, checked against botocore's service models (no network)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import botocore.session
import pytest
import yaml
from botocore.validate import ParamValidator

from scalejobs.metrics import Fleet, QueueMetrics, Snapshot
from scalejobs.metrics.emf import groups
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy" / "autoscaling"
# Each JSON file is the input of one API call: `aws <service> <operation> --cli-input-json file://...`.
CALLS = {
    "register-scalable-target.json": ("application-autoscaling", "RegisterScalableTarget"),
    "target-tracking-backlog-per-task.json": ("application-autoscaling", "PutScalingPolicy"),
    "target-tracking-queue-backlog-math.json": ("application-autoscaling", "PutScalingPolicy"),
    "step-scaling-queue-latency.json": ("application-autoscaling", "PutScalingPolicy"),
    "alarm-queue-latency.json": ("cloudwatch", "PutMetricAlarm"),
}
# The API call that each CloudFormation resource type stands for.
RESOURCES = {
    "AWS::ApplicationAutoScaling::ScalableTarget": ("application-autoscaling", "RegisterScalableTarget"),
    "AWS::ApplicationAutoScaling::ScalingPolicy": ("application-autoscaling", "PutScalingPolicy"),
    "AWS::CloudWatch::Alarm": ("cloudwatch", "PutMetricAlarm"),
}
SESSION = botocore.session.get_session()


def validate(service: str, operation: str, params: dict[str, Any]) -> None:
    shape = SESSION.get_service_model(service).operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    assert not report.has_errors(), report.generate_report()


def published_names() -> set[str]:
    snapshot = Snapshot(
        at=0.0, queues=(QueueMetrics(queue="q", backlog=0, latency=0.0, delayed=0, in_flight=0),), fleet=Fleet(workers=0, tasks=0, threads=0, busy_threads=0), actors=()
    )
    return {name for _, metrics in groups(snapshot, None) for name, _, _ in metrics}


def metric_names(value: Any) -> set[str]:
    if isinstance(value, dict):
        own = {value["MetricName"]} if isinstance(value.get("MetricName"), str) else set()
        return own.union(*(metric_names(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(metric_names(item) for item in value))
    return set()


@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_json_file_is_valid_input_of_its_api_call(name):
    validate(*CALLS[name], json.loads((DEPLOY / name).read_text()))


def test_every_json_file_in_deploy_is_checked():
    assert sorted(path.name for path in DEPLOY.glob("*.json")) == sorted(CALLS)


class Template:
    """A CloudFormation template with its intrinsic functions resolved to the parameters' defaults."""

    def __init__(self, path: Path) -> None:
        self.body = yaml.safe_load(path.read_text())
        self.defaults = {name: spec["Default"] for name, spec in self.body["Parameters"].items()}

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            [(function, argument)] = value.items()
            if function == "Ref":
                if argument in self.defaults:
                    return self.defaults[argument]
                assert argument in self.body["Resources"], f"Ref to unknown {argument!r}"
                return f"arn:aws:placeholder:::{argument}"
            if function == "Fn::Sub":
                return re.sub(r"\$\{(\w+)\}", lambda match: str(self.defaults[match.group(1)]), argument)
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        return value

    def call(self, logical_id: str) -> tuple[str, str, dict[str, Any]]:
        """Return the API call a resource makes, its properties turned into the call's parameters."""
        resource = self.body["Resources"][logical_id]
        service, operation = RESOURCES[resource["Type"]]
        params = self.resolve(resource["Properties"])
        target = params.pop("ScalingTargetId", None)
        if target is not None:
            # A policy attached by ScalingTargetId takes these three from its scalable target.
            [target_id] = [key for key in self.body["Resources"] if target.endswith(f":{key}")]
            target_params = self.resolve(self.body["Resources"][target_id]["Properties"])
            params.update({key: target_params[key] for key in ("ServiceNamespace", "ResourceId", "ScalableDimension")})
        if operation == "PutMetricAlarm":
            params.setdefault("AlarmName", logical_id)  # CloudFormation names the alarm when the template does not.
        return service, operation, params


def test_the_cloudformation_resources_are_valid_input_of_the_calls_they_make():
    template = Template(DEPLOY / "cloudformation.yaml")
    types = sorted(resource["Type"] for resource in template.body["Resources"].values())
    assert types == sorted([*RESOURCES, "AWS::ApplicationAutoScaling::ScalingPolicy"])
    for logical_id in template.body["Resources"]:
        validate(*template.call(logical_id))


def test_the_policies_scale_on_metrics_scalejobs_publishes():
    template = Template(DEPLOY / "cloudformation.yaml")
    used = metric_names(template.body) | metric_names([json.loads((DEPLOY / name).read_text()) for name in CALLS])
    assert used == {"BacklogPerTask", "QueueBacklog", "QueueLatency", "Tasks"}
    assert used <= published_names()
