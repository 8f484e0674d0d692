# csoapi — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# make test spreads the suite over this many processes (pytest-xdist; auto: one per core)
TEST_WORKERS ?= auto

.PHONY: run test fuzz lint openapi install dev bench bench-integration soak clean contract-tools spectral browser

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("csoapi needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.bench-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $(VENV)/.installed $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
dev: $(VENV)/.dev-installed

## make run: install, migrate the SQLite file, seed demo data once, serve on http://$(HOST):$(PORT)
run: install
	$(BIN)/csoapi migrate
	$(BIN)/csoapi seed-demo --if-empty
	$(BIN)/csoapi serve --host $(HOST) --port $(PORT)

## make test: lint, the Dockerfile lint, the layering contracts (import-linter, ARCHITECTURE.md),
## Spectral on the contract, and the whole suite on SQLite and (when reachable) PostgreSQL
## (with the wheel built and installed, and clients generated from the contract and run)
test: dev contract-tools
	$(BIN)/ruff check .
	$(BIN)/hadolint Dockerfile
	$(BIN)/lint-imports --no-cache
	$(MAKE) --no-print-directory spectral
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup

## make fuzz: the contract fuzzing of `make test` (tests/test_schemathesis*.py), nightly-style, new
## examples each run (`make test` repeats the same few): ten times the examples per operation
## (100), and stateful scenarios that follow the contract's links ten times as long (100 steps)
fuzz: dev
	CSOAPI_FUZZ_EXAMPLES=100 CSOAPI_FUZZ_STEPS=100 CSOAPI_FUZZ_RANDOM=1 \
	  $(BIN)/pytest tests/test_schemathesis.py tests/test_schemathesis_stateful.py

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

## make bench: load PostgreSQL (CSOAPI_BENCH_DATABASE_URL, default database csoapi_bench on the
## local server) to agency scale, drive the API and two reference servers with wrk, and write
## bench/RESULTS.md and bench/results.png. Takes about 15 minutes; BENCH_ARGS=--quick for a trial.
bench: $(VENV)/.bench-installed
	$(BIN)/python -m bench $(BENCH_ARGS)

## make bench-integration: webhook deliveries/s with one and two workers, the stats summary over
## 100k and 1M calls (local PostgreSQL); writes bench/RESULTS-integration.md
bench-integration: $(VENV)/.bench-installed
	$(BIN)/python -m bench.integration $(BENCH_ARGS)

## make soak: 30 minutes of mixed traffic over every domain at half the measured peak (open
## loop) on local PostgreSQL (CSOAPI_BENCH_DATABASE_URL + _soak), two API workers and one
## webhook worker; verdicts no error, RSS flat, p99 flat in bench/RESULTS-soak.md and the Soak
## section of bench/RESULTS.md. About 35 minutes; BENCH_ARGS=--quick for a 2-minute trial.
soak: $(VENV)/.bench-installed
	$(BIN)/python -m bench.soak $(BENCH_ARGS)

## make contract-tools: the contract's checkers, kept in tools/ (never installed globally):
## Spectral + the OWASP ruleset, openapi-typescript and tsc (npm, tools/node), and
## openapi-python-client (its own virtualenv, tools/clientgen/.venv), and Debian's chromium
## for the test that renders /docs and /redoc in a headless browser (apt-get, as root).
## Without npm the Node tools are skipped, loudly, and so are their tests; so is the browser
## test without chromium.
NODE_TOOLS := tools/node/node_modules/.installed
CLIENTGEN  := tools/clientgen/.venv/bin/openapi-python-client

$(NODE_TOOLS): tools/node/package.json tools/node/package-lock.json
	npm ci --prefix tools/node --no-audit --no-fund --loglevel=error
	touch $@

$(CLIENTGEN): tools/clientgen/requirements.txt
	$(PYTHON) -m venv tools/clientgen/.venv
	tools/clientgen/.venv/bin/pip install --quiet -r tools/clientgen/requirements.txt
	touch $@

contract-tools: $(CLIENTGEN) browser
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(NODE_TOOLS); \
	else echo "*** npm not found: Spectral and the TypeScript client check are SKIPPED ***"; fi

APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  $(APT_INSTALL) chromium >/dev/null 2>&1 || \
	  { apt-get update -qq && $(APT_INSTALL) chromium >/dev/null; } || \
	  echo "*** apt-get could not install chromium: the /docs browser test is SKIPPED ***"; \
	else echo "*** chromium not installed (needs root and apt-get): the /docs browser test is SKIPPED ***"; fi

## make spectral: the committed contract through Spectral (spectral:oas + OWASP); errors fail
spectral: contract-tools
	@if [ -x tools/node/node_modules/.bin/spectral ]; then \
	  tools/node/node_modules/.bin/spectral lint --display-only-failures --fail-severity error \
	    --ruleset tools/node/.spectral.yaml openapi/openapi.json && echo "spectral: 0 errors"; \
	else echo "*** Spectral not installed (no npm): contract lint SKIPPED ***"; fi

## make openapi: regenerate the committed contract after changing routes or schemas
openapi: install
	$(BIN)/csoapi export-openapi --output openapi/openapi.json
	$(BIN)/csoapi export-problems
	$(BIN)/python -c "from csoapi.core.scopes import markdown; open('docs/scopes.md', 'w').write(markdown())"

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache tools/node/node_modules \
	  tools/clientgen/.venv
