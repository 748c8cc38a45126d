# Every target does its own set-up on a fresh Debian machine: venv, pinned installs, system packages.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install stubs demo test lint system-deps clean

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

# System packages the integration tests use for real: Prometheus (+ promtool) and PostgreSQL server binaries.
system-deps:
	@missing=""; \
	command -v prometheus >/dev/null || missing="$$missing prometheus"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  echo "installing system packages:$$missing"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check monitor probes tests deploy bench
	$(BIN)/mypy monitor probes

demo: $(STAMP)
	$(BIN)/python deploy/demo_model/build_model.py --out var/demo-model
	bash deploy/demo.sh

clean:
	rm -rf var/ build/ *.egg-info monitor/api/_generated
