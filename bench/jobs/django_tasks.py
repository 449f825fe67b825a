"""A no-op Django task for the tasks scenario; workers import it by path."""

try:
    from django.tasks import task
except ImportError:
    from django_tasks import task


@task
def noop() -> None:
    """Do nothing."""
