# The README's two commands: `make run` and `make test`. Everything they need is set up from here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app

.PHONY: run test test-future bench bench-load profile-pages lint translations messages help

help:
	@echo "make run    - set up, migrate, load demo data (first time) and serve on http://127.0.0.1:5000"
	@echo "make test   - set up and run the whole test suite"
	@echo "make bench  - run the benchmarks (results in bench/results/, table in BENCHMARKS.md)"
	@echo "make bench-load - real load over HTTP: gunicorn on PostgreSQL driven by locust (bench/load.py, about an hour)"
	@echo "make profile-pages - where the load mix's pages spend their time, in-process (bench/profile_pages.py)"
	@echo "make test-future - the whole suite with the clock a year ahead (FUTURE=+30d, or AT='2027-03-28 00:57:00' UTC)"

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
	@$(BIN)/pybabel compile -d servicecenter/translations >/dev/null

run: $(VENV)/.installed translations
	$(BIN)/flask db upgrade
	@if [ ! -f instance/.demo-loaded ]; then $(BIN)/flask demo-data --citizens 300 && touch instance/.demo-loaded; \
	  else $(BIN)/flask demo-data --print-logins; fi
	$(BIN)/flask serve --host 127.0.0.1 --port 5000

test: $(VENV)/.dev-installed translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite with every process's clock shifted (libfaketime, Debian's `faketime` package): a test that mixes a fixed
# date with the wall clock fails here long before the calendar gets there. Not part of `make test`. AT is a UTC moment
# turned into an offset, so the processes the tests start share one clock (libfaketime's "@" restarts it in each).
# The monotonic clock stays real (faked, every timed lock wait hangs); tests/future/sitecustomize.py mends time.sleep
# for that setting, and the browser tests start Chromium without libfaketime. PostgreSQL's own clock is not shifted:
# the app never asks the database for the time.
FUTURE ?= +365d
FAKETIME_LIB ?= $(firstword $(wildcard /usr/lib/*/faketime/libfaketime.so.1))
test-future: $(VENV)/.dev-installed translations
	@test -n "$(FAKETIME_LIB)" || { echo "libfaketime is needed: apt-get install faketime"; exit 1; }
	LD_PRELOAD=$(FAKETIME_LIB) FAKETIME_DONT_FAKE_MONOTONIC=1 PYTHONPATH=$(CURDIR)/tests/future \
	  FAKETIME="$(if $(AT),+$$(( $$(date -u -d '$(AT)' +%s) - $$(date -u +%s) )),$(FUTURE))" \
	  $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.dev-installed translations
	$(BIN)/python -m bench.run_all

$(VENV)/.load-installed: pyproject.toml $(VENV)/.dev-installed
	$(BIN)/python -m pip install --quiet -e '.[load]'
	@touch $@

bench-load: $(VENV)/.load-installed translations
	$(BIN)/python -m bench.load

profile-pages: $(VENV)/.load-installed translations
	$(BIN)/python -m bench.profile_pages

# After changing user-facing strings: extract them and merge into both catalogues, then translate what is new.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ --no-location --sort-output -o servicecenter/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -w 120 -i servicecenter/translations/messages.pot -d servicecenter/translations

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
