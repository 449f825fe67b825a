"""Run the whole example locally: Redis, a worker, the admin and sample jobs.

``make demo`` runs this. It migrates a SQLite database under ``.demo/``,
creates a staff user with a fresh password, starts an embedded Valkey
(unless ``REDIS_URL`` is set), the local ECS agent emulator (so the admin shows
scale-in protection flip on and off), a ``rundramatiq`` worker (2 processes) and the
development server on 127.0.0.1:8000, then enqueues a few jobs. Ctrl-C
stops every process it started.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".demo"
ADDRESS = os.environ.get("DEMO_ADDRESS", "127.0.0.1:8000")
USERNAME = "admin"


class Demo:
    """The processes of one demo run, stopped together."""

    def __init__(self) -> None:
        self.children: list[subprocess.Popen[bytes]] = []
        self.cleanups: list[object] = []
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "example_project.settings"}
        self.env.setdefault("SQLITE_PATH", str(STATE / "db.sqlite3"))
        self.env.setdefault("EXPORT_DIR", str(STATE / "exports"))

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True)

    def spawn(self, *command: str, stdout: int | None = None) -> subprocess.Popen[bytes]:
        # A session of its own, so Ctrl-C reaches the demo only and it stops children in order.
        child = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=stdout, start_new_session=True)
        self.children.append(child)
        return child

    def stop(self) -> None:
        """Stop children last-started first, each drained before the next (Redis goes last)."""
        for child in reversed(self.children):
            if child.poll() is None:
                # The group leader only: rundramatiq forwards SIGTERM to its worker
                # processes, and a second SIGTERM would kill them mid-job.
                os.kill(child.pid, signal.SIGTERM)
                try:
                    child.wait(40)
                except subprocess.TimeoutExpired:
                    pass
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for cleanup in reversed(self.cleanups):
            cleanup.stop()  # type: ignore[attr-defined]


def start_redis(demo: Demo) -> None:
    if os.environ.get("REDIS_URL"):
        print(f"Using Redis at {os.environ['REDIS_URL']}")
        return
    # In a session of its own, like the other children: a terminal's Ctrl-C must not
    # stop Redis before the worker has drained.
    server = demo.spawn(sys.executable, "-m", "scalejobs.embedded_redis", stdout=subprocess.PIPE)
    assert server.stdout is not None
    url = server.stdout.readline().decode().strip()
    if not url:
        raise RuntimeError("the embedded Valkey server did not start")
    demo.env["REDIS_URL"] = url
    print(f"Started embedded Valkey at {url}")


def start_fake_ecs_agent(demo: Demo) -> None:
    """Start the local ECS agent emulator, so the worker takes scale-in protection."""
    if os.environ.get("ECS_AGENT_URI"):
        return
    from scalejobs.protection.fake_agent import FakeAgent

    agent = FakeAgent().start()
    demo.cleanups.append(agent)
    demo.env.update(agent.environ())
    # Let protection flip off soon after the jobs end, so the admin shows both states.
    demo.env.setdefault("PROTECTION_IDLE_GRACE_SECONDS", "5")
    print(f"Started the local ECS agent emulator at {demo.env['ECS_AGENT_URI']}")


def create_staff_user(demo: Demo) -> str:
    password = secrets.token_urlsafe(12)
    script = (
        "from django.contrib.auth import get_user_model;"
        "User = get_user_model();"
        f"user, _ = User.objects.get_or_create(username={USERNAME!r});"
        "user.is_staff = user.is_superuser = True;"
        f"user.set_password({password!r});"
        "user.save()"
    )
    demo.manage("shell", "-c", script)
    return password


def enqueue_samples(demo: Demo) -> None:
    script = """
from django.db import transaction
from example_project.shop.models import Customer, Export
from example_project.shop.tasks import export_customers, noop, welcome
import scalejobs

for number in range(1, 16):
    customer, created = Customer.objects.get_or_create(
        email=f"customer{number}@example.com", defaults={"name": f"Customer {number}"}
    )
    if created and number <= 3:
        welcome.perform_later(customer.pk)
with transaction.atomic():
    export = Export.objects.create()
    export_customers.perform_later(export.pk, seconds_per_row=1.0)
noop.perform_in(30)
scalejobs.send_mail_later("Demo started", "The scalejobs demo is running.", None, ["ops@example.com"])
print("Enqueued: 3 welcome emails, a 15-second CSV export, a delayed no-op, one email.")
"""
    demo.manage("shell", "-c", script)


def main() -> int:
    STATE.mkdir(exist_ok=True)
    demo = Demo()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        start_redis(demo)
        start_fake_ecs_agent(demo)
        demo.manage("migrate", "--verbosity", "0")
        password = create_staff_user(demo)
        demo.spawn(sys.executable, "manage.py", "rundramatiq", "--processes", "2", "--threads", "4")
        demo.spawn(sys.executable, "manage.py", "runserver", ADDRESS, "--noreload")
        enqueue_samples(demo)
        print(
            f"\n  Shop:  http://{ADDRESS}/\n  Admin: http://{ADDRESS}/admin/scalejobs/jobs/\n  Protected ECS tasks: http://{ADDRESS}/admin/scalejobs/jobs/protection/\n"
            f"  Metrics (Prometheus text, signed in): http://{ADDRESS}/scalejobs/metrics\n"
            f"  Login: {USERNAME} / {password}\n\nPress Ctrl-C to stop everything.\n",
            flush=True,
        )
        while all(child.poll() is None for child in demo.children):
            time.sleep(0.5)
        print("A demo process exited; stopping the rest.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping the demo...")
        return 0
    finally:
        demo.stop()


if __name__ == "__main__":
    sys.exit(main())
