# liftlab: the two commands of the README are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.liftlab-installed
DATA ?=
WAREHOUSE ?= warehouse/liftlab.duckdb

export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1

.PHONY: setup run test lint unit clean

## setup: create .venv with the pinned dependencies and the `liftlab` command (quick when nothing changed)
setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

## run: set up, build the warehouse from DATA (default: the generated default dataset), print a summary
run: setup
	$(BIN)/liftlab run --warehouse $(WAREHOUSE) $(if $(DATA),--data '$(DATA)',)

## test: set up, lint, run every test
test: setup lint
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check liftlab python_models tests
	$(BIN)/ruff format --check liftlab python_models tests
	$(BIN)/sqlfluff lint models tests/dbt --disable-progress-bar

clean:
	rm -rf target logs warehouse/*.duckdb warehouse/*.wal build
