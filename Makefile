# phoner — the two commands of the README's quick start are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test check bench install format clean migration

# Create the virtualenv and install phoner with its dev tools; redone when pyproject changes.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## make run: set up and open the phoner screen on the demo campaign
run: $(STAMP)
	$(BIN)/phoner demo

## make test: set up, run every check, then the whole test suite
test: check
	$(BIN)/python -m pytest -n auto

## make check: formatting, lint, types, architecture contracts
check: $(STAMP)
	$(BIN)/ruff format --check phoner tests
	$(BIN)/ruff check phoner tests
	$(BIN)/mypy
	$(BIN)/lint-imports

## make bench: performance figures (printed and written to $$BENCH_OUT, default bench-results.json)
bench: $(STAMP)
	$(BIN)/python tests/bench/run.py

format: $(STAMP)
	$(BIN)/ruff format phoner tests
	$(BIN)/ruff check --fix phoner tests

## make migration MSG="what changed": autogenerate an Alembic migration from the models
migration: $(STAMP)
	$(BIN)/python -m phoner.migrations.autogen "$(MSG)"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache bench-results.json
