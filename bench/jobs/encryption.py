"""No-op jobs of the encryption scenario: the same job, with and without encrypted arguments."""

import scalejobs

QUEUE = "bench"
# A typical payload: an email address, a reset link and a few ids.
ARGUMENTS = ("ada@example.com", "https://shop.example.com/reset/MQ-7f3a-0b9c", [1, 2, 3])


@scalejobs.job(queue_name=QUEUE)
def plain(email: str, link: str, ids: list[int]) -> None:
    """Do nothing."""


@scalejobs.job(queue_name=QUEUE, encrypt=True)
def sealed(email: str, link: str, ids: list[int]) -> None:
    """Do nothing, with arguments Redis holds encrypted."""
