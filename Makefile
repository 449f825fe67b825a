# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
# Extra requirement to install over the project's own, e.g. DJANGO='Django>=6.1,<6.2'.
DJANGO ?=
PYTEST_ARGS ?=
BENCH_ARGS ?=
BIN := $(VENV)/bin
# The default run installs the pinned versions the image ships (deploy/constraints.txt);
# a DJANGO override resolves freely around it.
CONSTRAINTS := $(if $(DJANGO),,-c deploy/constraints.txt)

.PHONY: demo test lint bench check clean chaos constraints autoscale-demo

# The project with the extras the suite exercises and the `test` dependency group (pyproject.toml):
# enough for `make demo`, `make test` and `make chaos`. `--group` needs pip >= 25.1.
$(BIN)/.installed: pyproject.toml deploy/constraints.txt
	$(PYTHON) -c 'import sys; sys.exit("scalejobs needs Python >= 3.11") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade 'pip>=25.1'
	$(BIN)/python -m pip install --quiet -e '.[aws,example,tasks]' --group test $(CONSTRAINTS) $(if $(DJANGO),'$(DJANGO)')
	touch $@

# The `bench` and `lint` groups go on top, only for the targets that use them; the same
# constraints (or DJANGO override) hold, so adding a group never moves what the tests ran with.
$(BIN)/.installed-bench: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet --group bench $(CONSTRAINTS) $(if $(DJANGO),'$(DJANGO)')
	touch $@

$(BIN)/.installed-lint: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet --group lint $(CONSTRAINTS) $(if $(DJANGO),'$(DJANGO)')
	touch $@

bench autoscale-demo: $(BIN)/.installed-bench

demo: $(BIN)/.installed
	$(BIN)/python -m example_project.demo

test: lint $(BIN)/.installed
	SCALEJOBS_PINNED=$(if $(DJANGO),0,1) $(BIN)/python -m pytest $(PYTEST_ARGS)

# The types (mypy --strict with django-stubs) and who may import whom (import-linter), as
# configured in pyproject.toml; `make test` runs it first.
lint: $(BIN)/.installed $(BIN)/.installed-lint
	$(BIN)/mypy
	$(BIN)/lint-imports

# Side by side with plain Dramatiq, Celery and RQ (docs/performance.md), about 10 minutes;
# BENCH_ARGS=--quick for a 2-minute pass. The other scenarios: $(BIN)/python -m bench --list.
bench: $(BIN)/.installed
	$(BIN)/python -m bench performance $(BENCH_ARGS)

# The full chaos suite (docs/reliability.md): 5,000 jobs while workers, Redis and the ECS agent fail;
# then the scale-in storm (docs/protection.md) beside the seed's naive protection, then a batch
# of 10,000 jobs while a worker is SIGKILLed every 3 s (README, Batches).
chaos: $(BIN)/.installed
	$(BIN)/python -m tests.system.chaos --report bench/results/chaos.md
	$(BIN)/python -m tests.system.scale_in_storm --naive --report bench/results/scale-in-storm.md
	$(BIN)/python -m tests.system.batch_chaos --report bench/results/batch-chaos.md

# The whole autoscaling loop (docs/metrics.md): a load ramp, tasks added on the published
# BacklogPerTask and removed when idle, about 5 minutes; writes bench/results/autoscale.{md,png}.
autoscale-demo: $(BIN)/.installed
	$(BIN)/python -m bench autoscale $(BENCH_ARGS)

check: $(BIN)/.installed
	$(BIN)/python manage.py check

# Pin what the test venv resolved, for the image: run after changing dependencies.
constraints: $(BIN)/.installed
	$(BIN)/python deploy/pin.py

clean:
	rm -rf $(VENV) .demo
