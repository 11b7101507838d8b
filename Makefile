# quartiere: `make build` sets everything up and builds the default edition; `make test` runs the tests.
# The first of python3.13, python3.12, python3.11 and python3 that is at least 3.11 (PYTHON=... to choose).
ifeq ($(origin PYTHON),undefined)
PYTHON := $(firstword $(foreach p,python3.13 python3.12 python3.11 python3,$(shell command -v $(p) >/dev/null 2>&1 && $(p) -c 'import sys; print("$(p)" if sys.version_info >= (3, 11) else "")' 2>/dev/null)))
endif
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config/criteria.yaml
# Each edition has its own place: the default configuration builds into data/processed/, any other
# one into data/processed/<config name>/ (as `quartiere build` does without --out).
OUT ?= $(if $(filter config/criteria.yaml,$(CONFIG)),data/processed,data/processed/$(basename $(notdir $(CONFIG))))/handlungsraeume.gpkg
STAMP := $(VENV)/.installed
# Scheduled use: the result before the latest rebuild is the baseline for numbering and the diff.
PREVIOUS := $(dir $(OUT))previous.gpkg
HISTORY ?= data/processed/history
# The history's numbering is the lineage: `quartiere update` numbers the first build of an edition
# against that edition's build in data/processed/history/, else against the newest earlier
# edition's build (found, or computed in memory); SEED=FILE.gpkg names another one.
SEED ?=
PROFILES ?= data/processed/profiles
EDITIONS := $(sort $(wildcard config/editions/*.yaml))
# The files the configuration names (and FORCE when $(OUT) is missing or was built from another
# configuration: build_info records the configuration hash). Asked only for build, update and
# profiles. `quartiere inputs` lists the whole `extends:` chain of an edition, to any depth.
ifneq ($(filter build update profiles,$(or $(MAKECMDGOALS),build)),)
BUILD_INPUTS := $(shell $(BIN)/quartiere inputs --config $(CONFIG) --check-built $(OUT) 2>/dev/null || echo FORCE)
endif
INPUTS := $(shell find data/raw -type f 2>/dev/null)
CODE := $(shell find src -name '*.py' -o -name '*.qml' -o -name '*.html' -o -name '*.css' 2>/dev/null)

.PHONY: build update fetch history sensitivity profiles site test test-fast bench lint format clean mutation FORCE

build: $(OUT)

# For cron / systemd timers: rebuilds only when an input, the configuration or the code changed
# ("Nothing to be done for 'update'" otherwise), then prints what changed against the previous result.
# FETCH=1: first ask the live services (config/sources.yaml) what changed, fetch it, and build the
# newest edition into data/processed/<edition>/ (docs/sources.md); one line when nothing is new.
ifeq ($(FETCH),1)
update: fetch
else
update: $(OUT)
endif

# Live sources (opt-in, needs the network): SOURCES=mss2025 to fetch only some; BASE_URL= a mirror.
fetch: $(STAMP)
	$(BIN)/quartiere fetch $(SOURCES) $(if $(BASE_URL),--base-url $(BASE_URL)) --build data/processed

history: $(HISTORY)/timeline.md

# Robustness atlas over the plan's rule sets (docs/sensitivity.md); SCHEDULER=tls://HOST:8786 for a cluster (TLS options: docs/sensitivity.md).
SENSITIVITY ?= data/processed/sensitivity
sensitivity: $(STAMP)
	$(BIN)/quartiere sensitivity --config $(CONFIG) --plan config/sensitivity.yaml --out $(SENSITIVITY) $(if $(SCHEDULER),--scheduler $(SCHEDULER))

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || test -n "$(PYTHON)" || { echo 'error: no Python 3.11 or newer found (tried python3.13, python3.12, python3.11, python3); install one or run make PYTHON=/path/to/python3.x' >&2; exit 2; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

# Real file dependencies: the build reruns only when a file the configuration names or the code
# changed, or $(OUT) was built from another configuration. `quartiere update` numbers the new build
# against the current one; only when the result changed does the current one become $(PREVIOUS)
# and the memo go to $(dir $(OUT))changes/<build time>/ (changes.md: the latest). The very first
# build continues the history's numbering (docs/scheduled-use.md).
$(OUT): $(STAMP) $(BUILD_INPUTS) $(CODE)
	$(BIN)/quartiere update --config $(CONFIG) --out $(OUT) $(if $(SEED),--seed $(SEED))

FORCE:

# A signal to make (Ctrl-C, `timeout`, systemd's stop) must never delete a result: `quartiere`
# replaces its outputs only whole and commits an update as one transaction
# (docs/scheduled-use.md), so what is on disk is always either the old state or the new one.
.PRECIOUS: $(OUT) $(HISTORY)/timeline.md $(PROFILES)/index.html

# Every edition in MSS order, each numbered against the one before, and the timeline.
$(HISTORY)/timeline.md: $(STAMP) config/criteria.yaml $(EDITIONS) $(INPUTS) $(CODE)
	$(BIN)/quartiere history $(EDITIONS) --out $(HISTORY)

# Profiles (Bestandsaufnahme) of every area of the default build: offline HTML + A4 PDF (Chromium).
profiles: $(PROFILES)/index.html

$(PROFILES)/index.html: $(OUT) $(sort $(CONFIG) config/criteria.yaml $(filter-out FORCE,$(BUILD_INPUTS))) $(EDITIONS) $(INPUTS) $(CODE)
	$(BIN)/quartiere profiles --config $(CONFIG) --build $(OUT) --out $(PROFILES)

# The web map of the default build (docs/site.md): a static folder to open from file:// or publish on
# any web server. It takes in the history, the atlas and the profiles when they have been made
# (make history / sensitivity / profiles) and never rebuilds them.
SITE ?= data/processed/site
site: $(STAMP) | $(OUT)
	$(BIN)/quartiere site --build $(OUT) --out $(SITE) $(if $(wildcard $(HISTORY)/timeline.json),--history $(HISTORY)) $(if $(wildcard $(SENSITIVITY)/sensitivity.json),--sensitivity $(SENSITIVITY)) $(if $(wildcard $(PROFILES)/index.html),--profiles $(PROFILES))

# PYTEST_ARGS: e.g. make test PYTEST_ARGS='tests/test_gpkg.py -x'
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The fast loop (docs/testing.md): no real client, no real-data end-to-end run (full builds of
# every edition, histories, atlases) and no test of a real Berlin build, no dask cluster, no run
# of the suite inside the suite.
FAST := not slow and not berlin and not client and not cluster and not ci
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m '$(FAST)' $(PYTEST_ARGS)

# Mutation testing of the rule modules (docs/testing.md); slow, not part of `make test` or CI.
mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet 'mutmut>=3.8'
	$(BIN)/python scripts/mutation.py $(MODULES)

# BENCH_ARGS: e.g. make bench BENCH_ARGS='--sizes --no-sensitivity --no-profiles' (build and history only)
bench: $(STAMP)
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

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
