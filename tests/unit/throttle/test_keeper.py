"""The slot keeper: renewals, and slots parked for a thread's next job."""

from __future__ import annotations

import threading

import pytest

from scalejobs import Concurrency, Window
from scalejobs.throttle import keeper as keeper_module
from scalejobs.throttle.engine import Claim
from scalejobs.throttle.keeper import SlotKeeper


class Recorder:
    def __init__(self) -> None:
        self.renewed: list[str] = []
        self.released: list[str] = []

    def renew(self, claims, holder: str) -> int:
        self.renewed.append(holder)
        return len(claims)

    def release(self, claims, holder: str) -> None:
        self.released.append(holder)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def keeper(recorder: Recorder) -> SlotKeeper:
    return SlotKeeper(recorder.renew, recorder.release)


SLOTS: tuple[Claim, ...] = (Concurrency(2, key="api").claim(""),)


def test_a_parked_slot_passes_to_the_same_threads_next_job_with_the_same_limiters(keeper: SlotKeeper, recorder: Recorder) -> None:
    keeper.hold("h1", SLOTS)
    keeper.park("h1")
    assert keeper.take(SLOTS) == "h1"
    assert keeper.take(SLOTS) is None  # taken once
    assert recorder.released == []


def test_another_thread_or_other_limiters_cannot_take_a_parked_slot(keeper: SlotKeeper) -> None:
    keeper.hold("h1", SLOTS)
    keeper.park("h1")
    found: list[str | None] = []
    thread = threading.Thread(target=lambda: found.append(keeper.take(SLOTS)))
    thread.start()
    thread.join()
    assert found == [None]
    assert keeper.take((Concurrency(2, key="other").claim(""),)) is None


def test_a_spare_is_given_back_when_its_time_is_up(keeper: SlotKeeper, recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    keeper.hold("h1", SLOTS)
    keeper.park("h1")
    keeper.release_spares()
    assert recorder.released == []
    monkeypatch.setattr(keeper_module, "SPARE_SECONDS", -1.0)
    keeper.hold("h2", SLOTS)
    keeper.park("h2")  # replaces h1 as this thread's spare: h1 goes back at once
    assert recorder.released == ["h1"]
    keeper.release_spares()
    assert recorder.released == ["h1", "h2"]
    assert keeper.take(SLOTS) is None


def test_stop_gives_back_every_spare(keeper: SlotKeeper, recorder: Recorder) -> None:
    keeper.start()
    keeper.hold("h1", SLOTS)
    keeper.park("h1")
    keeper.stop()
    assert recorder.released == ["h1"]


def test_a_dropped_holder_is_neither_renewed_nor_parked(keeper: SlotKeeper, recorder: Recorder) -> None:
    keeper.hold("h1", SLOTS)
    keeper.drop("h1")
    keeper.park("h1")
    assert keeper.take(SLOTS) is None
    keeper.release_spares(all_=True)
    assert recorder.released == []


def test_due_holdings_are_renewed(keeper: SlotKeeper, recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keeper_module, "SHORTEST_TICK", 0.0)
    keeper.hold("h1", (Concurrency(1, key="api", lock_timeout=0.000_001).claim(""),))
    keeper.hold("h2", (Window(1, per=1).claim("job"),))  # no slot: nothing to renew
    keeper.renew_due()
    assert recorder.renewed == ["h1"]
