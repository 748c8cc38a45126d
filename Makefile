# Every target does its own set-up on a fresh Debian machine: venv, pinned installs, system packages.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install stubs demo test lint prometheus clean

install: $(STAMP)

# torch is pinned first: a bare 'torch' requirement would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[demo,dev,postgres]'
	$(BIN)/python -m monitor.api.stubs
	touch $@

stubs: $(STAMP)
	$(BIN)/python -m monitor.api.stubs

# The real Prometheus server (and promtool) the integration tests scrape with.
prometheus:
	@command -v prometheus >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq prometheus >/dev/null; }

test: $(STAMP) prometheus
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check monitor probes tests deploy bench
	$(BIN)/mypy monitor probes

demo: $(STAMP)
	$(BIN)/python deploy/demo_model/build_model.py --out var/demo-model
	bash deploy/demo.sh

clean:
	rm -rf var/ build/ *.egg-info monitor/api/_generated
