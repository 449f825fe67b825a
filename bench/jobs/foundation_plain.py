"""The foundation scenario's job for baseline workers: the example shop's ``noop``, as a plain Dramatiq actor.

The baseline cannot import the shop's jobs (their scalejobs options need
scalejobs' middleware), so it runs this twin under the same actor name.
"""

import dramatiq


@dramatiq.actor(actor_name="noop", queue_name="default")
def noop() -> None:
    """Do nothing; the benchmark's job."""
