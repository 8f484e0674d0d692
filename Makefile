# csoapi — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint openapi install dev clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("csoapi needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

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

## make test: lint, the Dockerfile lint, and the whole suite on SQLite and (when reachable) PostgreSQL
test: dev
	$(BIN)/ruff check .
	$(BIN)/hadolint Dockerfile
	$(BIN)/pytest

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

## make openapi: regenerate the committed contract after changing routes or schemas
openapi: install
	$(BIN)/csoapi export-openapi --output openapi/openapi.json

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache
