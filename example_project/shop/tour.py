"""The demo's extra jobs: each makes one admin page of the tour show something.

Imported by ``tasks.py`` when ``settings.SHOP_TOUR`` is on (the demo), so the
test suite's workers, which share the example settings, run without them.
"""

import logging
import time

from django.utils import timezone

import scalejobs

from .models import Customer

logger = logging.getLogger(__name__)


class PaymentDeclined(Exception):
    """Raised when the (pretend) payment provider declines a card."""


# One call at a time to the partner, cluster-wide: the Throttles page shows the slot and who waits.
@scalejobs.job(throttle=scalejobs.Concurrency(1, key="partner-api"))
def sync_to_partner(customer_id: int) -> None:
    """Tell a (pretend) partner API about a customer: slow, and it allows one call at a time."""
    time.sleep(2)
    Customer.objects.filter(pk=customer_id).update(synced_at=timezone.now())


@scalejobs.job(periodic=scalejobs.every(seconds=30))
def shop_report() -> None:
    """Log the shop's numbers every 30 s: the Periodic page shows its ticks and the leader."""
    logger.info("Shop report: %d customers, %d synced", Customer.objects.count(), Customer.objects.exclude(synced_at=None).count())


@scalejobs.job(max_retries=2, min_backoff=500, max_backoff=1000)
def charge_card(order: str) -> None:
    """Charge a card that is always declined: after two retries it lands in Dead letters."""
    raise PaymentDeclined(f"card declined for order {order}")


@scalejobs.job
def import_customer(number: int) -> None:
    """Import one row of the (pretend) customers.csv: one job of the import batch."""
    time.sleep(0.2)
    Customer.objects.get_or_create(email=f"imported{number}@example.com", defaults={"name": f"Imported {number}"})


@scalejobs.job
def import_finished(batch_id: str, status: dict) -> None:
    """Tell the shop's staff an import is done: the batch's on_complete callback, run once."""
    from django.core.mail import send_mail

    send_mail(
        f"Import finished: {status['description']}",
        f"{status['succeeded']} rows imported, {status['dead']} failed (batch {batch_id}).",
        None,
        ["staff@example.com"],
    )


def start_import(rows: int = 40) -> str:
    """Fan an import out into one job per row, tracked as one batch; return the batch's id."""
    with scalejobs.Batch(description=f"Import customers.csv ({rows} rows)", on_complete=import_finished) as batch:
        import_customer.perform_bulk([(number,) for number in range(1, rows + 1)])
    return batch.id
