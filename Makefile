# quartiere: `make build` sets everything up and builds the default edition; `make test` runs the tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config/criteria.yaml
OUT ?= data/processed/handlungsraeume.gpkg
STAMP := $(VENV)/.installed
# Scheduled use: the result before the latest rebuild is the baseline for numbering and the diff.
PREVIOUS := $(dir $(OUT))previous.gpkg
HISTORY ?= data/processed/history
PROFILES ?= data/processed/profiles
EDITIONS := $(sort $(wildcard config/editions/*.yaml))
INPUTS := $(shell find data/raw -type f 2>/dev/null)
CODE := $(shell find src -name '*.py' -o -name '*.qml' -o -name '*.html' -o -name '*.css' 2>/dev/null)

.PHONY: build update history profiles test bench lint format clean

build: $(OUT)

# For cron / systemd timers: rebuilds only when an input, the configuration or the code changed
# ("Nothing to be done for 'update'" otherwise), then prints what changed against the previous result.
update: $(OUT)

history: $(HISTORY)/timeline.md

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

# Real file dependencies: the build reruns only when the configuration, an input or the code changed.
# Before rebuilding, the current result becomes $(PREVIOUS): the new build keeps the numbers of the
# areas that persist (--previous), and the diff against it goes to $(dir $(OUT))changes.{md,json,gpkg}.
$(OUT): $(STAMP) $(sort $(CONFIG) config/criteria.yaml) $(INPUTS) $(CODE)
	@if [ -f $(OUT) ]; then cp -p $(OUT) $(PREVIOUS).tmp && mv $(PREVIOUS).tmp $(PREVIOUS); fi
	@previous=$$(test -f $(PREVIOUS) && echo "--previous $(PREVIOUS)"); \
	echo "$(BIN)/quartiere build --config $(CONFIG) --out $(OUT) $$previous"; \
	$(BIN)/quartiere build --config $(CONFIG) --out $(OUT) $$previous
	@if [ -f $(PREVIOUS) ]; then $(BIN)/quartiere diff $(PREVIOUS) $(OUT) --out $(dir $(OUT)); fi

# Every edition in MSS order, each numbered against the one before, and the timeline.
$(HISTORY)/timeline.md: $(STAMP) config/criteria.yaml $(EDITIONS) $(INPUTS) $(CODE)
	$(BIN)/quartiere history $(EDITIONS) --out $(HISTORY)

# Profiles (Bestandsaufnahme) of every area of the default build: offline HTML + A4 PDF (Chromium).
profiles: $(PROFILES)/index.html

$(PROFILES)/index.html: $(OUT) $(sort $(CONFIG) config/criteria.yaml) $(EDITIONS) $(INPUTS) $(CODE)
	$(BIN)/quartiere profiles --config $(CONFIG) --build $(OUT) --out $(PROFILES)

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
	rm -rf $(VENV)
	find data/processed -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
