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
