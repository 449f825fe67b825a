"""The benchmarks: one runner (``python -m bench``) and named scenarios.

- ``__main__.py``: the runner (options, the run's Redis, Django, the report);
- ``scenarios/``: one module per scenario, listed in ``scenarios.SCENARIOS``;
- ``jobs/``: the jobs the workers run, one module per scenario;
- ``harness.py``: workers, drain timing, CPU and memory sampling;
- ``settings.py`` and ``overrides.py``: one settings module, and what each
  scenario (or variant) changes in it;
- ``results/``: the reports the docs quote.
"""
