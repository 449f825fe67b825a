"""The leader and periodic slices ship their Lua scripts and their template in the built wheel."""

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT

SLICES = ("leader", "periodic")
TEMPLATE = "scalejobs/templates/scalejobs/periodic/index.html"


def test_every_lua_script_and_the_template_are_in_the_wheel(tmp_path: Path) -> None:
    scripts = sorted(str(path.relative_to(ROOT)) for name in SLICES for path in (ROOT / "scalejobs" / name / "lua").glob("*.lua"))
    assert len(scripts) == 5
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("scalejobs-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert [name for name in [*scripts, TEMPLATE] if name not in names] == []
