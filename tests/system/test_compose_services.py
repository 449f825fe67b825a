"""Each docker-compose service's command, run the way compose runs it, does its job.

Docker is not on the test machine, so the commands run here, in order, with the
service's environment; what only the network of a compose project can supply is
replaced with its local equivalent: the test Redis for ``redis``, SQLite for
``postgres``, and a loopback port for ``0.0.0.0:8000``.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, wait_for

pytestmark = pytest.mark.system

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
# ${NAME:-default}, as compose interpolates it when NAME is unset.
VARIABLE = re.compile(r"\$\{([A-Z_]+):-([^}]*)\}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Stack:
    """The environment and working state of one compose project, run locally."""

    def __init__(self, tmp_path: Path) -> None:
        self.static_root = tmp_path / "static"
        self.database = tmp_path / "shop.sqlite3"
        self.port = free_port()
        self.children: list[subprocess.Popen[bytes]] = []

    def environment(self, name: str) -> dict[str, str]:
        service = {key: VARIABLE.sub(lambda match: match.group(2), str(value)) for key, value in SERVICES[name]["environment"].items()}
        service.pop("DATABASE_URL")
        service["REDIS_URL"] = os.environ["REDIS_URL"]
        service.update(SQLITE_PATH=str(self.database), STATIC_ROOT=str(self.static_root))
        inherited = {key: os.environ[key] for key in ("PATH", "HOME", "TMPDIR") if key in os.environ}
        return {**inherited, **service}

    def command(self, argv: list[str]) -> list[str]:
        local = [arg.replace("0.0.0.0:8000", f"127.0.0.1:{self.port}").replace("127.0.0.1:8000", f"127.0.0.1:{self.port}") for arg in argv]
        if local[0] == "python":
            return [sys.executable, *local[1:]]
        return [str(Path(sys.executable).parent / local[0]), *local[1:]]

    def run(self, name: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(argv), cwd=ROOT, env=self.environment(name), capture_output=True, text=True, timeout=120)

    def start(self, name: str) -> subprocess.Popen[bytes]:
        child = subprocess.Popen(self.command(SERVICES[name]["command"]), cwd=ROOT, env=self.environment(name), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.children.append(child)
        return child

    def healthy(self, name: str) -> bool:
        return self.run(name, SERVICES[name]["healthcheck"]["test"][1:]).returncode == 0

    def stop(self) -> None:
        for child in self.children:
            if child.poll() is None:
                os.killpg(child.pid, 9)
                child.wait()


@pytest.fixture
def stack(tmp_path, redis_db):
    running = Stack(tmp_path)
    yield running
    running.stop()


def dockerfile_collectstatic(stack: Stack) -> None:
    """Do what the image build does: collect the static files into STATIC_ROOT."""
    built = stack.run("web", ["python", "manage.py", "collectstatic", "--noinput", "--verbosity", "0"])
    assert built.returncode == 0, built.stderr


def test_migrate_creates_the_schema_and_the_admin_user_and_may_run_twice(stack):
    for _ in range(2):
        done = stack.run("migrate", SERVICES["migrate"]["command"])
        assert done.returncode == 0, done.stderr
    assert "Admin user 'admin' updated." in done.stdout
    check = stack.run(
        "web",
        ["python", "manage.py", "shell", "-c", "from django.contrib.auth.models import User; print(User.objects.get(username='admin').check_password('admin'))"],
    )
    assert check.stdout.strip().splitlines()[-1] == "True", check.stderr


def test_web_serves_the_shop_and_the_admin_css_with_debug_off(stack):
    assert stack.run("migrate", SERVICES["migrate"]["command"]).returncode == 0
    dockerfile_collectstatic(stack)
    stack.start("web")
    wait_for(lambda: stack.healthy("web"), timeout=60, interval=0.5)

    css = urllib.request.urlopen(f"http://127.0.0.1:{stack.port}/static/admin/css/base.css", timeout=10)
    assert css.status == 200
    assert b"body" in css.read()
    login = urllib.request.urlopen(f"http://127.0.0.1:{stack.port}/admin/login/", timeout=10).read().decode()
    assert "/static/admin/css/base.css" in login


def test_the_worker_health_check_passes_while_its_worker_runs_and_fails_after(stack):
    assert stack.run("migrate", SERVICES["migrate"]["command"]).returncode == 0
    assert not stack.healthy("worker")
    worker = stack.start("worker")
    wait_for(lambda: stack.healthy("worker"), timeout=90, interval=0.5)

    os.kill(worker.pid, 15)
    worker.wait(60)
    wait_for(lambda: not stack.healthy("worker"), timeout=60, interval=0.5)
