# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
# Extra requirement to install over the project's own, e.g. DJANGO='Django>=6.1,<6.2'.
DJANGO ?=
PYTEST_ARGS ?=
BIN := $(VENV)/bin

.PHONY: demo test bench check clean

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

bench: $(BIN)/.installed
	$(BIN)/python bench/foundation.py

check: $(BIN)/.installed
	$(BIN)/python manage.py check

clean:
	rm -rf $(VENV) .demo
