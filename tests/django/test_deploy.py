"""What deploy/ ships is valid for AWS and runs what the tests ran."""

from __future__ import annotations

import json
import os
import re
import sys
from importlib import metadata

import pytest
import yaml
from botocore.session import get_session
from botocore.validate import ParamValidator

from scalejobs.conf import get_settings
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
TASK_DEFINITIONS = sorted((DEPLOY / "ecs").glob("*-task-definition.json"))


def valid(service: str, operation: str, params: dict) -> None:
    shape = get_session().get_service_model(service).operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    assert not report.has_errors(), report.generate_report()


def container(name: str) -> dict:
    definition = json.loads((DEPLOY / "ecs" / f"{name}-task-definition.json").read_text())
    return definition["containerDefinitions"][0]


@pytest.mark.parametrize("path", TASK_DEFINITIONS, ids=lambda path: path.name)
def test_every_task_definition_is_valid_for_register_task_definition(path):
    valid("ecs", "RegisterTaskDefinition", json.loads(path.read_text()))


def test_there_are_web_worker_and_migrate_task_definitions():
    assert [path.name for path in TASK_DEFINITIONS] == ["migrate-task-definition.json", "web-task-definition.json", "worker-task-definition.json"]


@pytest.mark.parametrize("name", ["web", "worker", "migrate"])
def test_commands_are_exec_form_and_match_docker_compose(name):
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert container(name)["command"] == compose[name]["command"]


def test_the_worker_stop_timeout_covers_the_shutdown_budget_within_fargates_limit():
    budget = get_settings().protection.shutdown_budget_seconds
    assert budget < container("worker")["stopTimeout"] <= 120


@pytest.mark.parametrize("name", ["web", "worker"])
def test_long_running_containers_run_an_init_process_and_ship_logs(name):
    assert container(name)["linuxParameters"]["initProcessEnabled"] is True
    assert container(name)["logConfiguration"]["logDriver"] == "awslogs"


def test_the_worker_health_check_asks_for_a_live_worker_heartbeat():
    assert container("worker")["healthCheck"]["command"] == ["CMD", "python", "manage.py", "scalejobs", "health"]


def test_the_worker_task_role_may_protect_its_task_and_nothing_else_of_ecs():
    policy = json.loads((DEPLOY / "ecs" / "worker-task-role-policy.json").read_text())
    valid("iam", "CreatePolicy", {"PolicyName": "scalejobs-worker", "PolicyDocument": json.dumps(policy)})
    ecs_actions = {action for statement in policy["Statement"] for action in statement["Action"] if action.startswith("ecs:")}
    assert ecs_actions == {"ecs:UpdateTaskProtection", "ecs:GetTaskProtection"}


def test_no_secret_is_written_into_a_task_definition():
    for path in TASK_DEFINITIONS:
        environment = {entry["name"] for entry in json.loads(path.read_text())["containerDefinitions"][0]["environment"]}
        assert not environment & {"SECRET_KEY", "DATABASE_URL", "DJANGO_SUPERUSER_PASSWORD"}, path.name


def pins() -> dict[str, str]:
    lines = (DEPLOY / "constraints.txt").read_text().splitlines()
    return dict(line.split("==") for line in lines if line and not line.startswith("#"))


def test_the_image_uses_the_python_of_the_pinned_test_run():
    base = re.search(r"^FROM python:(\d+\.\d+)-slim$", (ROOT / "Dockerfile").read_text(), re.M)
    assert base and base.group(1) == "3.11"
    assert "-c deploy/constraints.txt" in (ROOT / "Dockerfile").read_text()


@pytest.mark.skipif(os.environ.get("SCALEJOBS_PINNED") != "1", reason="this run resolved its own versions (a DJANGO override)")
def test_the_pinned_versions_are_the_ones_this_test_run_uses():
    assert sys.version_info[:2] == (3, 11)
    installed = {name: metadata.version(name) for name in pins()}
    assert installed == pins()
