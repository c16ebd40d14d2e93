# Everything runs from a virtual environment at .venv, created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint format run sandbox bench requirements clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(BIN)/python -m pytest --cov --cov-report=term --cov-report=xml:test-artifacts/coverage.xml $(PYTEST_ARGS)
	$(BIN)/python -m coverage report --include='webapi/*' --fail-under=90 > /dev/null \
		|| { echo "webapi/ coverage is below 90%"; exit 1; }

run: $(STAMP)
	$(BIN)/python -m webapi.local

sandbox: $(STAMP)
	$(BIN)/python -m telegram_sandbox

# Figures, not pass/fail: each script prints one JSON line per scenario.
bench: $(STAMP)
	$(BIN)/python bench/sandbox_throughput.py --seconds 5
	$(BIN)/python bench/api.py --seconds 10

requirements: $(STAMP)
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links requirements.in -o requirements.txt
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links requirements-dev.in -o requirements-dev.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .coverage test-artifacts
