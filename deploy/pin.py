"""Write deploy/constraints.txt: the versions ``make test`` ran with, for the image to install.

Run it from the test virtualenv (``make constraints``). It walks the requirements
of ``scalejobs[aws,example]`` through the installed distributions and pins each
one found, so the image and the default test run resolve the same packages.
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

HEADER = """\
# The versions the default `make test` run resolved (Python 3.11, Django 5.2), pinned for the image.
# Written by `make constraints` (deploy/pin.py); tests/django/test_deploy.py keeps it equal to the test venv.
"""
EXTRAS = ("aws", "example")


def closure(root: str, extras: tuple[str, ...]) -> dict[str, str]:
    """Return ``{name: version}`` of every installed distribution ``root[extras]`` needs."""
    found: dict[str, str] = {}
    pending = [(root, extras)]
    while pending:
        name, wanted = pending.pop()
        distribution = metadata.distribution(name)
        for line in distribution.requires or ():
            requirement = Requirement(line)
            environment = [{"extra": extra} for extra in wanted] or [{"extra": ""}]
            if requirement.marker and not any(requirement.marker.evaluate(env) for env in environment):
                continue
            key = requirement.name.lower().replace("_", "-")
            if key in found:
                continue
            try:
                found[key] = metadata.version(requirement.name)
            except metadata.PackageNotFoundError:
                continue
            pending.append((requirement.name, tuple(requirement.extras)))
    found.pop("scalejobs", None)
    return found


def main() -> None:
    pins = closure("scalejobs", EXTRAS)
    text = HEADER + "".join(f"{name}=={version}\n" for name, version in sorted(pins.items()))
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("constraints.txt")
    target.write_text(text)


if __name__ == "__main__":
    main()
