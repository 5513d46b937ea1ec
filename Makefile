# The README's two commands: `make run` and `make test`. Everything they need is set up from here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app

.PHONY: run test bench lint translations clean-db help

help:
	@echo "make run    - set up, migrate, load demo data (first time) and serve on http://127.0.0.1:5000"
	@echo "make test   - set up and run the whole test suite"
	@echo "make bench  - run the benchmarks (results in bench/results/, table in BENCHMARKS.md)"

$(BIN)/activate:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.dev-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

translations: $(VENV)/.installed
	@$(BIN)/pybabel compile --use-fuzzy -q -d servicecenter/translations || $(BIN)/pybabel compile -d servicecenter/translations

run: $(VENV)/.installed translations
	$(BIN)/flask db upgrade
	@if [ ! -f instance/.demo-loaded ]; then $(BIN)/flask demo-data --citizens 300 && touch instance/.demo-loaded; \
	  else $(BIN)/flask demo-data --print-logins; fi
	$(BIN)/flask serve --host 127.0.0.1 --port 5000

test: $(VENV)/.dev-installed translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.dev-installed translations
	$(BIN)/python -m bench.run_all

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
