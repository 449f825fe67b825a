# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
# Extra requirement to install over the project's own, e.g. DJANGO='Django>=6.1,<6.2'.
DJANGO ?=
PYTEST_ARGS ?=
BENCH_ARGS ?=
BIN := $(VENV)/bin

.PHONY: demo test bench check clean chaos

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("scalejobs needs Python >= 3.11") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,aws]' $(if $(DJANGO),'$(DJANGO)')
	touch $@

demo: $(BIN)/.installed
	$(BIN)/python -m example_project.demo

test: $(BIN)/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Side by side with plain Dramatiq, Celery and RQ (docs/performance.md), about 10 minutes;
# BENCH_ARGS=--quick for a 2-minute pass.
bench: $(BIN)/.installed
	$(BIN)/python bench/performance.py $(BENCH_ARGS)

# The full chaos suite (docs/reliability.md): 5,000 jobs while workers, Redis and the ECS agent fail;
# then a batch of 10,000 jobs while a worker is SIGKILLed every 3 s (README, Batches).
chaos: $(BIN)/.installed
	$(BIN)/python -m tests.system.chaos --report bench/results/chaos.md
	$(BIN)/python -m tests.system.batch_chaos --report bench/results/batch-chaos.md

check: $(BIN)/.installed
	$(BIN)/python manage.py check

clean:
	rm -rf $(VENV) .demo
