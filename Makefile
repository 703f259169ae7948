# Watchkeeper: `make run` serves a demo on http://127.0.0.1:8000, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TEST_DATA_DIR ?= var/test
POSTGRES_TEST_URL ?= postgres://postgres@127.0.0.1:5432/watchkeeper
export WATCHKEEPER_DATA_DIR ?= var

.PHONY: run test install install-dev lint typecheck migrations-check test-sqlite test-postgres \
	bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Watchkeeper needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: $(VENV)/.installed
	$(BIN)/watchkeeper migrate --no-input -v 0
	$(BIN)/watchkeeper demo --if-empty
	$(BIN)/watchkeeper serve

test: install-dev lint typecheck migrations-check test-sqlite test-postgres

lint: install-dev
	$(BIN)/ruff check src tests conftest.py bench
	$(BIN)/ruff format --check src tests conftest.py bench

typecheck: install-dev
	$(BIN)/mypy

migrations-check: install-dev
	WATCHKEEPER_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/watchkeeper manage makemigrations --check --dry-run

# SQLite: the whole suite, browser tests included.
test-sqlite: install-dev
	WATCHKEEPER_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/pytest

# PostgreSQL: the whole suite but the browser tests (they test the UI, not the database).
# Required when WATCHKEEPER_TEST_POSTGRES=required (CI); otherwise skipped if no server answers.
test-postgres: install-dev
	@if $(BIN)/python -c "import psycopg; psycopg.connect('$(POSTGRES_TEST_URL)'.rsplit('/', 1)[0] + '/postgres', connect_timeout=3).close()" 2>/dev/null; then \
		echo "PostgreSQL: $(POSTGRES_TEST_URL)"; \
		WATCHKEEPER_DATA_DIR=$(TEST_DATA_DIR) WATCHKEEPER_DATABASE_URL=$(POSTGRES_TEST_URL) \
			$(BIN)/pytest -m "not browser"; \
	elif [ "$$WATCHKEEPER_TEST_POSTGRES" = "required" ]; then \
		echo "PostgreSQL is required (WATCHKEEPER_TEST_POSTGRES=required) but $(POSTGRES_TEST_URL) does not answer"; \
		exit 1; \
	else \
		echo "PostgreSQL does not answer at $(POSTGRES_TEST_URL): its test run is skipped"; \
	fi

bench: install-dev
	WATCHKEEPER_DATA_DIR=var/bench $(BIN)/python -m bench

clean:
	rm -rf $(VENV) var/test var/bench .mypy_cache .ruff_cache
