"""The README stays true: its settings reference is the defaults and docs the slices declare."""

from scalejobs.conf import reference
from tests.conftest import ROOT


def test_the_readme_settings_reference_is_the_declared_defaults():
    readme = (ROOT / "README.md").read_text()
    assert reference() in readme, "Paste the output of scalejobs.conf.reference() into the README's Settings section."


def test_the_readme_names_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme


def test_the_performance_table_is_the_benchmarks_own_output():
    """The README quotes one set of figures: the table make bench wrote, line for line."""
    readme = (ROOT / "README.md").read_text()
    results = (ROOT / "bench" / "results" / "performance.md").read_text()
    side_by_side = results.split("| target")[0]
    table = [line for line in side_by_side.splitlines() if line.startswith("| ")]
    section = readme[readme.index("## Performance") :]
    assert table and all(line in section for line in table)
