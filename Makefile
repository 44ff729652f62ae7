# Gorod — the one entry point. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
PACKAGES := libs/gorod_runtime[dev] services/identity services/accruals services/meters services/payments services/notify gateway[test]
PROTOS := $(shell find protos -name '*.proto')
STAMP := $(VENV)/.installed

.PHONY: setup run test proto lint bench k8s-check clean

setup: $(STAMP)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip==26.3 setuptools==80.9.0 wheel==0.45.1

$(STAMP): $(VENV)/bin/python requirements-dev.txt $(PROTOS) $(wildcard */pyproject.toml */*/pyproject.toml)
	$(PIP) install -r requirements-dev.txt
	$(PY) tools/build_protos.py
	$(PIP) install ./build/gorod_protos $(addprefix -e ,$(PACKAGES))
	touch $(STAMP)

proto: $(VENV)/bin/python
	$(PIP) install -r requirements-dev.txt
	$(PY) tools/build_protos.py
	$(PIP) install --force-reinstall --no-deps ./build/gorod_protos

run: setup
	$(PY) tools/devstack.py run

test: setup
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b $(BENCH_ARGS) || exit 1; done

k8s-check: setup
	$(PY) tools/k8s_check.py

clean:
	rm -rf $(VENV) build .run
