"""System checks of the unique slice (ids ``scalejobs.E3xx``).

E301: ``Unique`` is listed before ``Throttle``, so a job postponed by a
throttle would already have released a lock held until it starts.
E302: ``Unique`` is listed but no Redis is configured for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from django.core import checks

from .. import conf

MIDDLEWARE = "settings.DRAMATIQ_BROKER"


def check_unique() -> Iterator[checks.CheckMessage]:
    """Check how the ``Unique`` middleware sits in ``DRAMATIQ_BROKER``."""
    names = listed_middleware()
    if "scalejobs.Unique" not in names:
        return
    if "scalejobs.Throttle" in names and names.index("scalejobs.Throttle") > names.index("scalejobs.Unique"):
        yield checks.Error(
            "scalejobs.middleware.Unique comes before scalejobs.middleware.Throttle in DRAMATIQ_BROKER['MIDDLEWARE'].",
            hint="List 'scalejobs.middleware.Throttle' before 'scalejobs.middleware.Unique' (as DEFAULT_STACK does).",
            obj=MIDDLEWARE,
            id="scalejobs.E301",
        )
    if not redis_configured():
        yield checks.Error(
            "scalejobs.middleware.Unique needs Redis, but the broker is not a Redis broker and SCALEJOBS['REDIS_URL'] is None.",
            hint="Set SCALEJOBS['REDIS_URL'] to the Redis that unique locks should live in.",
            obj=MIDDLEWARE,
            id="scalejobs.E302",
        )


def listed_middleware() -> list[str]:
    """Return ``DRAMATIQ_BROKER['MIDDLEWARE']`` as ``<package>.<Class>`` names, e.g. ``dramatiq.Retries``."""
    listed: Sequence[object] = (conf.django_setting("DRAMATIQ_BROKER") or {}).get("MIDDLEWARE", [])
    names = []
    for item in listed:
        path = item if isinstance(item, str) else f"{type(item).__module__}.{type(item).__name__}"
        names.append(f"{path.split('.')[0]}.{path.rsplit('.', 1)[-1]}")
    return names


def redis_configured() -> bool:
    """Tell whether scalejobs has a Redis: its own URL, or a Redis broker."""
    broker = str((conf.django_setting("DRAMATIQ_BROKER") or {}).get("BROKER", ""))
    return conf.get_settings().redis_url is not None or "redis" in broker.lower()
