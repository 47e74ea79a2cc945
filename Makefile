# Lovemachine — every target installs what it needs first (idempotent), so on a fresh machine
# `make demo` and `make test` are all a newcomer runs.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
BROKER  ?= local
N       ?= 3000
PYTEST_ARGS ?=
# Test workers (pytest-xdist). Each worker starts its own Pub/Sub emulator; tests use unique topics,
# databases and ports, so they never see each other. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2

.PHONY: help install demo test test-fast check lint typecheck imports bench bench-models evaluate quality worker serve db clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0   # pinned: a cached CPU wheel; anything else downloads GBs
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install Lovemachine with its dev tools

demo: install  ## the whole slice, the loop (retrain, shadow, promote), then the CS tool on 127.0.0.1:PORT until Ctrl-C (BROKER=local|pubsub, N=3000, PORT=8000)
	$(BIN)/lovemachine demo --broker $(BROKER) --n $(N) --loop --serve --port $(PORT)

test: install  ## the whole suite, incl. integration tests (starts the Pub/Sub emulator; needs PostgreSQL)
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

test-fast: install  ## unit tests only
	$(BIN)/pytest -q tests/unit $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check lovemachine workers trainers cstool_api cli demo synth tests bench

typecheck: install
	$(BIN)/mypy

imports: install  ## import contracts: the core never imports adapters or applications
	$(BIN)/lint-imports

check: lint typecheck imports  ## ruff, mypy and import-linter

bench: install  ## end-to-end throughput and latency, embedded broker and Pub/Sub emulator
	$(BIN)/python -m bench.e2e

bench-models: install  ## model speed: fast tier, cascade (deep tier + images), training on 100,000 listings
	$(BIN)/python -m bench.models

quality: install  ## the default model on the measure-only set C: PR-AUC, hide precision, wrongful hides, recall (3 seeds)
	$(BIN)/python eval/quality.py --json var/quality.json

EVAL ?= eval/time_split.yaml
evaluate: install  ## offline evaluation report (EVAL=eval/time_split.yaml) into var/evaluations/
	$(BIN)/lovemachine evaluate --config $(EVAL)

db: install  ## migrate the configured database (LOVEMACHINE_DATABASE_URL)
	$(BIN)/lovemachine db upgrade

worker: install  ## run a worker against Pub/Sub (set PUBSUB_EMULATOR_HOST for the emulator)
	$(BIN)/lovemachine worker --broker pubsub

HOST ?= 127.0.0.1
PORT ?= 8000
serve: install  ## the CS tool on HOST:PORT (127.0.0.1:8000); first admin: lovemachine staff create --role admin
	$(BIN)/lovemachine serve --host $(HOST) --port $(PORT)

clean:  ## remove generated data, databases and artifacts (keeps .venv)
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
