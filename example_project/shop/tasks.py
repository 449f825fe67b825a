"""Jobs of the example shop; django-dramatiq imports this module in workers."""

import csv
import time

from django.conf import settings
from django.utils import timezone

import scalejobs

from .models import Customer, Export


@scalejobs.job
def welcome(customer_id: int) -> None:
    """Email a new customer; the mail itself is queued again by QueuedEmailBackend."""
    from django.core.mail import send_mail

    customer = Customer.objects.get(pk=customer_id)
    send_mail("Welcome to the shop", f"Hello {customer.name}!", None, [customer.email])


@scalejobs.job(queue_name="exports", max_retries=0, time_limit=30 * 60 * 1000)
def export_customers(export_id: int, seconds_per_row: float = 0.2) -> None:
    """Write every customer to a CSV file, slowly, the way real exports run."""
    export = Export.objects.get(pk=export_id)
    export.status = Export.Status.RUNNING
    export.save(update_fields=["status"])
    settings.EXPORT_DIR.mkdir(parents=True, exist_ok=True)
    path = settings.EXPORT_DIR / f"customers-{export.pk}.csv"
    rows = 0
    total = Customer.objects.count()
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name", "created_at"])
        for customer in Customer.objects.order_by("pk").iterator():
            writer.writerow([customer.email, customer.name, customer.created_at.isoformat()])
            rows += 1
            # Shown as a progress bar on the admin's Running jobs page.
            scalejobs.progress(rows, max(total, rows), f"{rows} customers written")
            time.sleep(seconds_per_row)
    export.status = Export.Status.DONE
    export.rows = rows
    export.path = str(path)
    export.finished_at = timezone.now()
    export.save()


@scalejobs.job
def noop() -> None:
    """Do nothing; the benchmark's job."""
