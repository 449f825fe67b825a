"""The unique and throttle slices ship their Lua scripts and templates in the built wheel."""

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT

SHIPPED = [
    "scalejobs/unique/lua/acquire.lua",
    "scalejobs/unique/lua/enqueue.lua",
    "scalejobs/unique/lua/release.lua",
    "scalejobs/throttle/lua/acquire.lua",
    "scalejobs/throttle/lua/renew.lua",
    "scalejobs/throttle/lua/usage.lua",
    "scalejobs/templates/scalejobs/unique/index.html",
    "scalejobs/templates/scalejobs/throttle/index.html",
]


def test_every_lua_script_and_template_is_in_the_wheel(tmp_path: Path) -> None:
    scripts = [*(ROOT / "scalejobs" / "unique" / "lua").glob("*.lua"), *(ROOT / "scalejobs" / "throttle" / "lua").glob("*.lua")]
    on_disk = sorted(str(path.relative_to(ROOT)) for path in scripts)
    assert on_disk == sorted(name for name in SHIPPED if name.endswith(".lua"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("scalejobs-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert [name for name in SHIPPED if name not in names] == []
