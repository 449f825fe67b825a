"""docker-compose.yml describes a stack whose commands are real commands of the project."""

import importlib.util

import pytest
import yaml
from django.core.management import get_commands

from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_the_stack_has_redis_postgres_web_and_worker():
    assert {"redis", "postgres", "web", "worker"} <= set(SERVICES)


@pytest.mark.parametrize("name", ["redis", "postgres", "web", "worker"])
def test_every_long_running_service_has_a_health_check(name):
    assert SERVICES[name]["healthcheck"]["test"][0] == "CMD"


APP_SERVICES = [name for name, service in SERVICES.items() if "build" in service]


def test_web_worker_and_migrate_are_built_from_the_project():
    assert set(APP_SERVICES) == {"migrate", "web", "worker"}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_command_is_a_real_command_of_the_project(name):
    command = SERVICES[name]["command"]
    if command[:2] == ["python", "manage.py"]:
        assert command[2] in get_commands(), f"{name}: manage.py has no command {command[2]!r}"
    elif command[0] == "gunicorn":
        module, attribute = command[1].split(":")
        assert (ROOT / (module.replace(".", "/") + ".py")).exists()
        assert attribute == "application"
        assert importlib.util.find_spec("gunicorn"), "gunicorn is not installed (it is in the example extra)"
    else:
        pytest.fail(f"{name}: unexpected command {command!r}")


def test_worker_stop_grace_period_covers_the_shutdown_budget():
    grace = SERVICES["worker"]["stop_grace_period"]
    assert grace.endswith("s") and int(grace[:-1]) > 25


def test_the_app_services_depend_on_healthy_redis_and_postgres():
    for name in ("web", "worker", "migrate"):
        depends = SERVICES[name]["depends_on"]
        assert depends["redis"]["condition"] == depends["postgres"]["condition"] == "service_healthy"


def test_web_and_worker_wait_for_the_migration_to_finish():
    for name in ("web", "worker"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert SERVICES["migrate"]["restart"] == "no"


def test_the_migration_creates_the_admin_user_from_the_environment():
    environment = SERVICES["migrate"]["environment"]
    assert SERVICES["migrate"]["command"] == ["python", "manage.py", "bootstrap"]
    assert {"DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_PASSWORD"} <= set(environment)


def test_the_worker_health_check_asks_for_a_live_worker_heartbeat():
    assert SERVICES["worker"]["healthcheck"]["test"] == ["CMD", "python", "manage.py", "scalejobs", "health"]


def test_the_build_context_leaves_out_virtualenvs_demo_state_and_history():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv*", ".demo"} <= set(ignored)
