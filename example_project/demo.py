"""Run the whole example locally: Redis, two emulated ECS tasks of workers, the admin and the tour's jobs.

``make demo`` runs this. It migrates a SQLite database under ``.demo/``,
creates a staff user with a fresh password, starts an embedded Valkey (unless
``REDIS_URL`` is set) and writes its URL to ``.demo/redis-url`` so every
``manage.py`` command finds it, starts two emulated ECS tasks (each a local ECS
agent emulator and a ``rundramatiq`` worker), the development server on
127.0.0.1:8000, then enqueues the tour's jobs. SIGINT (Ctrl-C) or SIGTERM, from
a terminal or any other process, stops every process it started, drains the
workers first, and removes what the run left behind.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".demo"
REDIS_URL_FILE = STATE / "redis-url"
ADDRESS = os.environ.get("DEMO_ADDRESS", "127.0.0.1:8000")
USERNAME = "admin"
# Two worker tasks, as a service scaled out to two would run; each has its own ECS agent.
TASKS = ("0a1b2c3d4e5f60718293a4b5c6d7e8f9", "f9e8d7c6b5a4938271605f4e3d2c1b0a")
TASK_ARN = "arn:aws:ecs:us-east-1:123456789012:task/scalejobs-demo/{}"


class Stop(Exception):
    """Raised in the main thread when the demo is asked to stop."""


class Demo:
    """The processes of one demo run, stopped together."""

    def __init__(self) -> None:
        self.children: list[subprocess.Popen[bytes]] = []
        self.redis: subprocess.Popen[bytes] | None = None
        self.cleanups: list[object] = []
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "example_project.settings"}
        self.env.setdefault("SQLITE_PATH", str(STATE / "db.sqlite3"))
        self.env.setdefault("EXPORT_DIR", str(STATE / "exports"))

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True)

    def spawn(self, *command: str, stdout: int | None = None, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        # A session of its own, so a terminal's Ctrl-C reaches the demo only and it stops children in order.
        child = subprocess.Popen(command, cwd=ROOT, env={**self.env, **(env or {})}, stdout=stdout, start_new_session=True)
        self.children.append(child)
        return child

    def stop(self) -> None:
        """Drain every worker and the web server at once, then stop Redis last."""
        # A second signal while draining must not cut the clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        redis = [child for child in self.children if child is self.redis]
        self._stop([child for child in self.children if child is not self.redis])
        self._stop(redis)
        for cleanup in reversed(self.cleanups):
            cleanup.stop()  # type: ignore[attr-defined]
        REDIS_URL_FILE.unlink(missing_ok=True)

    @staticmethod
    def _stop(children: list[subprocess.Popen[bytes]]) -> None:
        for child in children:
            if child.poll() is None:
                # The group leader only: rundramatiq forwards SIGTERM to its worker
                # processes, and a second SIGTERM would kill them mid-job.
                os.kill(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + 40
        for child in children:
            try:
                child.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def start_redis(demo: Demo) -> None:
    if os.environ.get("REDIS_URL"):
        print(f"Using Redis at {os.environ['REDIS_URL']}")
    else:
        # In a session of its own, like the other children: a terminal's Ctrl-C must not
        # stop Redis before the worker has drained. It removes its directory when it stops.
        server = demo.redis = demo.spawn(sys.executable, "-m", "scalejobs.testing.embedded_redis", stdout=subprocess.PIPE)
        assert server.stdout is not None
        url = server.stdout.readline().decode().strip()
        if not url:
            raise RuntimeError("the embedded Valkey server did not start")
        demo.env["REDIS_URL"] = url
        print(f"Started embedded Valkey at {url}")
    # Every manage.py command of the example project reads it (example_project/settings.py).
    REDIS_URL_FILE.write_text(demo.env["REDIS_URL"] + "\n")


def start_worker_tasks(demo: Demo) -> None:
    """Start two emulated ECS tasks: a local agent emulator and a worker each."""
    if os.environ.get("ECS_AGENT_URI"):
        demo.spawn(sys.executable, "manage.py", "rundramatiq", "--processes", "2", "--threads", "4")
        return
    from scalejobs.testing.ecs_agent import FakeAgent

    for task_id in TASKS:
        agent = FakeAgent(task_arn=TASK_ARN.format(task_id)).start()
        demo.cleanups.append(agent)
        # Let protection flip off soon after the jobs end, so the admin shows both states.
        environment = {**agent.environ(), "PROTECTION_IDLE_GRACE_SECONDS": os.environ.get("PROTECTION_IDLE_GRACE_SECONDS", "5")}
        demo.spawn(sys.executable, "manage.py", "rundramatiq", "--processes", "1", "--threads", "4", env=environment)
        print(f"Started ECS task {task_id[:8]}: a worker and its agent emulator at {agent.agent_uri}")


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
from example_project.shop.models import Customer, Export
from example_project.shop.tasks import export_customers, welcome
from example_project.shop.tour import charge_card, start_import, sync_to_partner
import scalejobs

for number in range(1, 16):
    customer, created = Customer.objects.get_or_create(
        email=f"customer{number}@example.com", defaults={"name": f"Customer {number}"}
    )
    if created and number <= 3:
        welcome.perform_later(customer.pk)
    if created and number <= 6:
        sync_to_partner.perform_later(customer.pk)
export = Export.objects.create(requested_by="demo")
export_customers.perform_later(export.pk, requested_by="demo", seconds=60)
charge_card.perform_later("order-demo")
start_import()
scalejobs.send_mail_later("Demo started", "The scalejobs demo is running.", None, ["ops@example.com"])
print("Enqueued: 3 welcome emails, 6 partner-API calls (one at a time), a one-minute CSV export,")
print("an import of 40 rows as a batch, an order whose card is declined (Dead letters in a few seconds),")
print("one email; a report runs every 30 s.")
"""
    demo.manage("shell", "-c", script)


def request_stop(signum: int, frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


def main() -> int:
    STATE.mkdir(exist_ok=True)
    demo = Demo()
    # Installed explicitly: a shell that starts the demo in the background ignores SIGINT for it,
    # and Python keeps an ignored SIGINT ignored.
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        start_redis(demo)
        demo.manage("migrate", "--verbosity", "0")
        password = create_staff_user(demo)
        start_worker_tasks(demo)
        demo.spawn(sys.executable, "manage.py", "runserver", ADDRESS, "--noreload")
        enqueue_samples(demo)
        print(
            f"\n  Shop:  http://{ADDRESS}/\n  Admin: http://{ADDRESS}/admin/scalejobs/jobs/\n"
            f"  Protected ECS tasks: http://{ADDRESS}/admin/scalejobs/jobs/protection/\n"
            f"  Metrics (Prometheus text, signed in): http://{ADDRESS}/scalejobs/metrics\n"
            f"  Login: {USERNAME} / {password}\n"
            f"  In another terminal: python manage.py scalejobs status\n\nPress Ctrl-C to stop everything.\n",
            flush=True,
        )
        while all(child.poll() is None for child in demo.children):
            time.sleep(0.5)
        print("A demo process exited; stopping the rest.", file=sys.stderr)
        return 1
    except (Stop, KeyboardInterrupt):
        print("\nStopping the demo...", flush=True)
        return 0
    finally:
        demo.stop()


if __name__ == "__main__":
    sys.exit(main())
