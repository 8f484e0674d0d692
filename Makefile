# csoapi — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint openapi install dev bench bench-integration clean

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
## and the whole suite on SQLite and (when reachable) PostgreSQL
test: dev
	$(BIN)/ruff check .
	$(BIN)/hadolint Dockerfile
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest

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

## make openapi: regenerate the committed contract after changing routes or schemas
openapi: install
	$(BIN)/csoapi export-openapi --output openapi/openapi.json

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache
