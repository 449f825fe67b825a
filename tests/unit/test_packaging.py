"""The built wheel holds every file of the ``scalejobs`` source tree, and no test double.

What is expected is read from the source tree (globs, not a list), so a new Lua
script or template that ``[tool.setuptools.package-data]`` misses fails here.
The wheel is built once per session, from a copy of the tree: setuptools
reuses a ``build/`` folder, which may still hold files since deleted.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "scalejobs"
TEST_DOUBLES = "scalejobs/testing/"


@pytest.fixture(scope="session")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> Iterator[set[str]]:
    """Return the names of the files in a wheel built from the working tree."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(PACKAGE, source / "scalejobs", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)], capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr[-5000:]
    (wheel,) = out.glob("scalejobs-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        yield set(archive.namelist())


def in_tree(pattern: str) -> set[str]:
    """Return the package's files matching ``pattern``, as wheel names, test doubles left out."""
    names = {path.relative_to(ROOT).as_posix() for path in PACKAGE.glob(pattern) if path.is_file() and "__pycache__" not in path.parts}
    return {name for name in names if not name.startswith(TEST_DOUBLES)}


def test_every_lua_script_is_in_the_wheel(wheel_names: set[str]) -> None:
    scripts = in_tree("**/*.lua")
    assert len(scripts) >= 26  # the glob finds them: one per slice's lua/ folder
    assert sorted(scripts - wheel_names) == []


def test_every_template_and_the_type_marker_are_in_the_wheel(wheel_names: set[str]) -> None:
    templates = in_tree("templates/**/*")
    assert templates
    assert sorted((templates | {"scalejobs/py.typed"}) - wheel_names) == []


def test_every_file_of_the_package_is_in_the_wheel(wheel_names: set[str]) -> None:
    assert sorted(in_tree("**/*") - wheel_names) == []


def test_no_test_double_and_nothing_but_the_package_is_in_the_wheel(wheel_names: set[str]) -> None:
    assert (PACKAGE / "testing" / "ecs_agent.py").exists()  # the doubles are in the tree, just not shipped
    assert sorted(name for name in wheel_names if name.startswith(TEST_DOUBLES)) == []
    assert sorted(name for name in wheel_names if not name.startswith(("scalejobs/", "scalejobs-"))) == []
