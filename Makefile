# HCP Contract Monitor. `make run` serves the dashboard on the sample database; `make test` runs the whole suite.
SHELL := /bin/bash
PORT ?= 8501
HCP_DB ?= data/hcp.duckdb
export HCP_DB
export STREAMLIT_BROWSER_GATHER_USAGE_STATS := false
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)

.PHONY: run test lint format bench sample install

install: .venv/.synced

.venv/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --compile-bytecode
	@touch $@

$(HCP_DB): | install
	$(UV) run --frozen hcp sample

sample: install
	$(UV) run --frozen hcp sample --force

run: install $(HCP_DB)
	$(UV) run --frozen hcp serve --port $(PORT)

test: install
	$(UV) run --frozen pytest

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

format: install
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

bench: install
	$(UV) run --frozen python -m bench
