# Everything runs from a virtual environment at .venv, created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install browser test lint format run sandbox bench chaos requirements clean

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

# The page tests drive Debian's Chromium; installed here (with sudo when not root) when it is missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then SUDO=; \
		elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=sudo; \
		else echo "make test needs Chromium for the page tests: install Debian's chromium package (apt-get install chromium) as root"; exit 1; fi; \
		echo "Installing Debian's chromium for the page tests…"; \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
			|| { echo "make test needs Chromium for the page tests: apt-get install chromium failed (see above)"; exit 1; }; \
	}

test: lint browser
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
	$(BIN)/python bench/broadcast.py --rate 25 --recipients 3000
	$(BIN)/python bench/broadcast.py --paid --rate 1000 --recipients 50000 --workers 2
	$(BIN)/python bench/fanout.py --subscribers 1000000
	$(BIN)/python bench/worker_memory.py --recipients 1000000
	$(BIN)/python bench/retention.py --subscribers 1000000 --old-mailings 30

# The full chaos soak: 20,000 recipients at 1,000/s, a worker SIGKILLed every 3 s while it sends,
# Redis and Postgres restarted once each, the workers cut off from Postgres for 6 s at 55 % (through
# the outage proxy), 1 % of deliveries answered 502 after delivery; the figures are one JSON line.
chaos: $(STAMP)
	CHAOS_RECIPIENTS=20000 CHAOS_RATE=1000 CHAOS_KILLS=0 CHAOS_KILL_EVERY=3 \
	CHAOS_PG_OUTAGE_AT=0.55 CHAOS_PG_OUTAGE_SECONDS=6 CHAOS_DELIVER_502=0.01 \
		$(BIN)/python -m pytest tests/chaos -q -p no:cacheprovider -x -s --timeout 1800

requirements: $(STAMP)
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links requirements.in -o requirements.txt
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links requirements-dev.in -o requirements-dev.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .coverage test-artifacts
