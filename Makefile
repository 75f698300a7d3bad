# liftlab: the two commands of the README are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.liftlab-installed
REPORTS_STAMP := reports/node_modules/.liftlab-installed
QUALITY_ASSETS := liftlab/quality/vendor
QUALITY_ASSETS_STAMP := $(QUALITY_ASSETS)/node_modules/.liftlab-installed
DATA ?=
WAREHOUSE ?= warehouse/liftlab.duckdb

export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1

.PHONY: setup setup-reports setup-browser run test lint serve docs bench clean

## setup: create .venv with the pinned dependencies and the `liftlab` command (quick when nothing changed)
setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

## setup-reports: install the Evidence site's npm packages, and the pinned assets of the quality data docs, from the committed lockfiles (quick when unchanged)
setup-reports: $(REPORTS_STAMP) $(QUALITY_ASSETS_STAMP)

$(QUALITY_ASSETS_STAMP): $(QUALITY_ASSETS)/package.json $(QUALITY_ASSETS)/package-lock.json
	cd $(QUALITY_ASSETS) && npm ci --no-audit --no-fund --ignore-scripts
	@touch $(QUALITY_ASSETS_STAMP)

$(REPORTS_STAMP): reports/package.json reports/package-lock.json reports/scripts/patch-universal-sql.cjs
	cd reports && npm ci --no-audit --no-fund
	@touch $(REPORTS_STAMP)

## setup-browser: Debian's Chromium for the browser tests (apt-get, only when missing)
setup-browser:
	@bash scripts/install_chromium.sh

## run: set up, build the warehouse from DATA (default: the generated default dataset), print a summary, build the report site
run: setup setup-reports
	$(BIN)/liftlab run --warehouse $(WAREHOUSE) $(if $(DATA),--data '$(DATA)',)
	$(BIN)/liftlab report --warehouse $(WAREHOUSE)

## test: set up, lint, run every test
test: setup setup-reports setup-browser lint
	$(BIN)/pytest -n 2 --dist loadfile --durations 15 -m "not browser"
	$(BIN)/pytest --durations 5 -m browser

lint: setup
	$(BIN)/ruff check liftlab python_models tests benchmarks
	$(BIN)/ruff format --check liftlab python_models tests benchmarks
	$(BIN)/sqlfluff lint models tests/dbt --disable-progress-bar

## serve: serve the built report site on 127.0.0.1 (after `make run`)
serve: setup
	$(BIN)/liftlab report --warehouse $(WAREHOUSE) --no-build --serve

## docs: dbt's documentation of the warehouse as one static page, build/dbt-docs/static_index.html (after `make run`)
docs: setup
	LIFTLAB_WAREHOUSE=$(WAREHOUSE) $(BIN)/dbt docs generate --static --project-dir . --profiles-dir . --target-path build/dbt-docs

## bench: time liftlab against the pandas baseline at 10k, 211k and 2M reps; writes BENCHMARKS.md
bench: setup
	$(BIN)/liftlab bench

clean:
	rm -rf target logs warehouse/*.duckdb warehouse/*.wal build reports/build
