# Every target does its own set-up on a fresh Debian machine: venv, pinned installs, system packages.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install stubs demo demo-update demo-rollback compose-repo compose-update compose-rollback deploy-check test bench lint \
	system-deps clean

install: $(STAMP)

# torch is pinned first: a bare 'torch' requirement would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[demo,dev,postgres,dashboards]'
	$(BIN)/python -m monitor.api.stubs
	$(BIN)/python -m probes.scoring.offensive_export  # S.1/S.3's classifier as plain numbers: no scikit-learn at run time
	touch $@

stubs: $(STAMP)
	$(BIN)/python -m monitor.api.stubs

# System packages the tests use for real: Prometheus (+ promtool), Alertmanager (+ amtool), PostgreSQL server,
# Chromium (the report pages' browser test drives it through Playwright; no browser download).
system-deps:
	@missing=""; \
	command -v prometheus >/dev/null || missing="$$missing prometheus"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v prometheus-alertmanager >/dev/null || missing="$$missing prometheus-alertmanager"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  echo "installing system packages:$$missing"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# Performance figures beside their targets (bench/README.md); writes bench/RESULTS.md. Under 10 minutes.
bench: $(STAMP) system-deps
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check monitor probes tests deploy bench dashboards
	$(BIN)/mypy monitor probes dashboards

demo: $(STAMP)
	$(BIN)/python deploy/demo_model/build_model.py --out var/demo-model
	$(BIN)/python deploy/demo_model/train_versions.py --base var/demo-model --out var/demo-versions
	bash deploy/demo.sh

# While `make demo` runs: the unsafe model update (Triton serves the newest version folder), and back.
demo-update:
	ln -s "$(CURDIR)/var/demo-versions/2" var/triton-repo/llava_demo/2
	@echo "version 2 rolled out: Triton loads it within seconds; the monitor's next model check starts a run"

demo-rollback:
	rm var/triton-repo/llava_demo/2
	@echo "version 2 removed: Triton serves version 1 again"

# deploy/compose/docker-compose.yml: the model repository its Triton service mounts (docs/deploy.md), and the
# same unsafe update there (the repository holds copies: links to this machine's paths do not resolve in a container).
compose-repo: $(STAMP)
	$(BIN)/python deploy/demo_model/build_model.py --out var/demo-model
	$(BIN)/python deploy/demo_model/train_versions.py --base var/demo-model --out var/demo-versions
	$(BIN)/python deploy/compose/model_repository.py init --live 1

compose-update:
	$(BIN)/python deploy/compose/model_repository.py roll-out 2

compose-rollback:
	$(BIN)/python deploy/compose/model_repository.py roll-back 2

# Regenerate the Kubernetes PrometheusRule and dashboard ConfigMaps, replay the Dockerfile without Docker.
deploy-check: $(STAMP)
	$(BIN)/python deploy/kubernetes/generate.py --check
	$(BIN)/python deploy/docker/check_dockerfile.py

clean:
	rm -rf var/ build/ *.egg-info monitor/api/_generated
