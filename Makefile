# The whole set-up is `make demo` and `make test`; each builds .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PEERS := $(VENV)/.peers

.PHONY: demo test lint bench clean data

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

# Test-only peer of the NMODL export cross-check (tests/test_exchange_neuron.py): NEURON 9
# (~100 MB wheel); its nrnivmodl compiles the exported mechanisms with the system C++ compiler.
NRN := $(VENV)/.peers-neuron
$(NRN): $(STAMP)
	$(PY) -m pip install -q "neuron==9.0.2"
	touch $(NRN)

demo: $(STAMP)
	$(VENV)/bin/ketasim demo --out ketasim-demo

test: $(STAMP) $(PEERS) $(NRN)
	$(PY) -m pytest -q -n 2

# The spinal drive table and calibration shipped with the package (a cache keyed by the
# content of the code that computes them: any edit of that code needs a new copy, and a test
# says so). Computed from scratch in a fresh cache folder, then copied in.
data: $(STAMP)
	rm -f src/ketasim/spinal/data/calibration_*.json src/ketasim/spinal/data/drive_table_*.npz
	tmp=$$(mktemp -d) && KETASIM_CACHE=$$tmp $(PY) -c "from ketasim.spinal.calibration \
	import calibrated_spec; from ketasim.spinal.drive_table import load_drive_table; \
	load_drive_table(calibrated_spec())" && cp $$tmp/calibration_*.json \
	$$tmp/drive_table_*.npz src/ketasim/spinal/data/ && rm -rf $$tmp
	rm -f src/ketasim/brain/data/brain_map_*.npz
	tmp=$$(mktemp -d) && KETASIM_CACHE=$$tmp $(PY) -c "from ketasim.brain.maps import \
	load_map; load_map()" && cp $$tmp/brain_map_*.npz src/ketasim/brain/data/ && rm -rf $$tmp

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks conftest.py

clean:
	rm -rf $(VENV) ketasim-demo .pytest_cache .hypothesis
