# The two commands: `make run` (set up and serve the demo) and `make test` (the whole suite).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2

.PHONY: run test lint bench clean install install-dev db demo browser screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

db: install
	$(BIN)/coordination init-db

# The hand-written demo plus 18 months of generated history of its DAC (DEMO_SIZE= for the
# hand-written part only, DEMO_SIZE=region for 15 DACs and five years: a few minutes).
DEMO_SIZE ?= dac
demo: db
	$(BIN)/coordination demo $(if $(DEMO_SIZE),--size $(DEMO_SIZE))

# The scheduler runs beside the web server (never inside its workers) and stops with it.
run: demo
	@mkdir -p instance
	@$(BIN)/coordination scheduler > instance/scheduler.log 2>&1 & \
	  echo "scheduler running in the background (log: instance/scheduler.log)"; \
	  trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/coordination serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

test: install-dev browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Browser journeys use Debian's Chromium (Playwright's own browser download does not work
# offline). Installed when we can; otherwise those tests skip and say why.
browser:
	@[ -x /usr/bin/chromium ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium for the browser tests"; \
	    apt-get install -y -q chromium >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; } || \
	    echo "chromium could not be installed: browser tests will be skipped"; \
	  else echo "chromium missing and not root: browser tests will be skipped"; fi; }

screenshots: install-dev browser
	COORDINATION_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/e2e

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# Every benchmark, on SQLite and (when installed here) PostgreSQL; BENCH_ARGS=--region for
# the load test on the region data (15 DACs, five years), --quick for a smoke run.
bench: install-dev
	COORDINATION_BENCH_POSTGRES_URL="$${COORDINATION_BENCH_POSTGRES_URL:-$$(.ci/postgres-url)}" \
	  $(BIN)/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
