"""The registry of slices: the one list that settings, checks, the admin menu, middleware and start-up walk.

Each slice declares itself once, in its own ``slice.py`` (``scalejobs.kernel.slice.Slice``).
Adding a slice touches its folder and one line of ``SLICES``; a slice with settings also adds
its typed section to ``Settings`` below, where type checkers can see it (``conf.build`` fails
at once if the two disagree). The order of ``SLICES`` is the order of the admin menu, of the
checks, of the README's settings reference and of the start-up work.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .batch import slice as batch
from .conf import KernelSettings
from .dashboard import slice as dashboard
from .encryption import slice as encryption
from .kernel.slice import Slice
from .leader import slice as leader
from .mail import slice as mail
from .metrics import slice as metrics
from .periodic import slice as periodic
from .protection import slice as protection
from .reliability import slice as reliability
from .tasks_backend import slice as tasks
from .throttle import slice as throttle
from .unique import slice as unique

SLICES: tuple[Slice, ...] = (
    mail.SLICE,
    # Before the other slices with pages, so the Dashboard heads the menu.
    dashboard.SLICE,
    leader.SLICE,
    periodic.SLICE,
    protection.SLICE,
    unique.SLICE,
    throttle.SLICE,
    reliability.SLICE,
    metrics.SLICE,
    encryption.SLICE,
    batch.SLICE,
    tasks.SLICE,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings(KernelSettings):
    """Every scalejobs setting, validated: the kernel's keys, then one section per slice, named as the slice."""

    mail: mail.MailSettings = field(repr=False)
    dashboard: dashboard.DashboardSettings = field(repr=False)
    leader: leader.LeaderSettings = field(repr=False)
    periodic: periodic.PeriodicSettings = field(repr=False)
    protection: protection.ProtectionSettings = field(repr=False)
    throttle: throttle.ThrottleSettings = field(repr=False)
    reliability: reliability.ReliabilitySettings = field(repr=False)
    metrics: metrics.MetricsSettings = field(repr=False)
    encryption: encryption.EncryptionSettings = field(repr=False)
    batch: batch.BatchSettings = field(repr=False)
