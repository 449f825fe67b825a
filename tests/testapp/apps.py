from django.apps import AppConfig


class TestAppConfig(AppConfig):
    name = "tests.testapp"
    label = "testapp"

    def ready(self) -> None:
        from .backend_tasks import connect_signals

        # Worker subprocesses report the task signals they send through Redis.
        connect_signals()
