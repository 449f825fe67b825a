"""A once-per-cluster duty: a thread that works while its process leads.

The periodic scheduler and orphan recovery both take part in the process's
one election, run a loop in a daemon thread, and on stop end the loop before
withdrawing (which hands the lead over at once). ``LeaderDuty`` holds that
lifecycle; a duty implements ``_run``, looping until ``_stopping`` is set.
"""

from __future__ import annotations

import threading

from .election import Election

# How long stop() waits for a pass in progress.
STOP_TIMEOUT = 10.0


class LeaderDuty:
    """Run ``_run`` in a daemon thread named ``thread_name`` while taking part in ``election``."""

    thread_name = "scalejobs-duty"

    def __init__(self, election: Election) -> None:
        self.election = election
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)

    def start(self) -> None:
        """Join the election and start the duty's thread when it has work."""
        self.election.take_part()
        if self._has_work():
            self._thread.start()

    def stop(self) -> None:
        """End the duty's loop, then leave the election."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(STOP_TIMEOUT)
        self.election.withdraw()

    def _has_work(self) -> bool:
        return True

    def _run(self) -> None:
        raise NotImplementedError
