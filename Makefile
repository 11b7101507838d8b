# quartiere: `make build` sets everything up and builds the default edition; `make test` runs the tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config/criteria.yaml
OUT ?= data/processed/handlungsraeume.gpkg
STAMP := $(VENV)/.installed

.PHONY: build test bench lint format clean

build: $(OUT)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

# Real file dependencies: the build reruns only when the configuration, an input or the code changed.
$(OUT): $(STAMP) $(CONFIG) $(wildcard config/editions/*.yaml) $(shell find data/raw -type f 2>/dev/null) $(shell find src -name '*.py' -o -name '*.qml' 2>/dev/null)
	$(BIN)/quartiere build --config $(CONFIG) --out $(OUT)

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python scripts/bench.py

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/mypy src

format: $(STAMP)
	$(BIN)/ruff format src tests scripts
	$(BIN)/ruff check --fix src tests scripts

clean:
	rm -rf $(VENV) data/processed/*
