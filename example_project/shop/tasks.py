"""Jobs of the example shop; django-dramatiq imports this module in workers."""

import csv
import io
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

import scalejobs

from .models import Customer, Export

if getattr(settings, "SHOP_TOUR", False):
    # The demo's extra jobs (a throttled partner API, a periodic report, a payment that fails).
    from . import tour  # noqa: F401


@scalejobs.job
def welcome(customer_id: int) -> None:
    """Email a new customer; the mail itself is queued again by QueuedEmailBackend."""
    from django.core.mail import send_mail

    customer = Customer.objects.get(pk=customer_id)
    send_mail("Welcome to the shop", f"Hello {customer.name}!", None, [customer.email])


def _requester(export_id: int, requested_by: str = "", **_: object) -> str:
    return f"export:{requested_by or export_id}"


# One export at a time per person: a double click makes one job (the second perform_later returns None).
@scalejobs.job(queue_name="exports", max_retries=0, time_limit=30 * 60 * 1000, unique_for=timedelta(minutes=30), unique_key=_requester)
def export_customers(export_id: int, seconds_per_row: float = 0.2, requested_by: str = "", seconds: float | None = None) -> None:
    """Write every customer to a CSV file, slowly, the way real exports run.

    ``seconds`` spreads the export over that long whatever the number of rows
    (the demo's one-minute export); otherwise each row takes ``seconds_per_row``.
    """
    export = Export.objects.get(pk=export_id)
    export.status = Export.Status.RUNNING
    export.save(update_fields=["status"])
    total = Customer.objects.count()
    pause = seconds / max(total, 1) if seconds is not None else seconds_per_row
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["email", "name", "created_at"])
    rows = 0
    for customer in Customer.objects.order_by("pk").iterator():
        writer.writerow([customer.email, customer.name, customer.created_at.isoformat()])
        rows += 1
        # Shown as a progress bar on the admin's Running jobs page.
        scalejobs.progress(rows, max(total, rows), f"{rows} customers written")
        time.sleep(pause)
    settings.EXPORT_DIR.mkdir(parents=True, exist_ok=True)
    path = settings.EXPORT_DIR / f"customers-{export.pk}.csv"
    path.write_text(buffer.getvalue())
    export.status = Export.Status.DONE
    export.rows = rows
    export.path = str(path)
    export.content = buffer.getvalue()
    export.finished_at = timezone.now()
    export.save()


@scalejobs.job
def noop() -> None:
    """Do nothing; the benchmark's job."""
