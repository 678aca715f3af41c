# The whole set-up is `make demo` and `make test`; each builds .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PEERS := $(VENV)/.peers

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

# Test-only peers for the PK cross-checks (tests/test_pk_peers.py); not needed by `make demo`.
# opentiva 1.1.2 ships C from an old Cython that fails on Python 3.11: rebuild from .pyx.
$(PEERS): $(STAMP)
	$(PY) -m pip install -q Cython setuptools wheel "PyTCI==1.2.0"
	$(PY) -m pip install -q --no-build-isolation --no-binary opentiva "opentiva==1.1.2"
	touch $(PEERS)

demo: $(STAMP)
	$(VENV)/bin/ketasim demo --out ketasim-demo

test: $(STAMP) $(PEERS)
	$(PY) -m pytest -q -n 2

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks conftest.py

clean:
	rm -rf $(VENV) ketasim-demo .pytest_cache .hypothesis
