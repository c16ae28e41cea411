# Two commands: `make run` starts the explorer, `make test` runs lint and the tests.
# Both create .venv from requirements.txt when it is missing or older than requirements.txt or pyproject.toml.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test lint browser bench setup clean regression-data sensitivity-data posterior-data robustness-data sites-data

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

# The explorer, warmed up before its first visitor (explorer/serve.py; `streamlit run app.py` works too).
# `make run MODEL=path/to/model.mdl` opens it on another Vensim model (its model.toml beside it, if any).
MODEL ?=
run: setup
	$(PY) -m explorer.serve $(if $(MODEL),--mdl $(MODEL)) --server.port $(PORT)

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# The browser tests need Chromium (and a CJK font): found, or installed, by tests/browser.py.
browser: setup
	$(PY) -m tests.browser

test: lint browser
	$(PY) -m pytest

# Regenerate what the tests compare against, after a deliberate model change.
regression-data: setup
	$(PY) -m tests.regression

sensitivity-data: setup
	$(PY) -m sensitivity bundle

posterior-data: setup
	$(PY) -m calibration --posterior --bundle

robustness-data: setup
	$(PY) -m robustness optimize --bundle

# The model split by site type and place (models/sites/, docs/sites.md), then its posterior.
sites-data: setup
	$(PY) -m sd_model split
	$(PY) -m calibration --mdl models/sites/relocation_sites.mdl --posterior --final-steps 250 --bundle

bench: setup browser
	$(PY) benchmarks/bench_batch.py
	$(PY) benchmarks/bench_app.py
	$(PY) benchmarks/bench_browser.py
	$(PY) benchmarks/bench_posterior.py --emcee
	$(PY) benchmarks/bench_robustness.py --optimize
	$(PY) benchmarks/bench_sensitivity.py
	$(PY) benchmarks/bench_subscripts.py
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_peers.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/artifacts
