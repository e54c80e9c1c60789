# topiclab: `make figures` regenerates the paper's tables and figures, `make test` checks everything.
# Both create .venv on first use; they reinstall only when pyproject.toml or requirements.lock change.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= ../shared/data/vntc_20k.jsonl.gz

# One BLAS thread per process: the same numbers on every machine, and no oversubscription
# when joblib runs one worker per core.
export OMP_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export PYTHONHASHSEED := 0

.PHONY: figures test lint lab bench lock install clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

figures: $(STAMP)
	$(BIN)/topiclab run analysis.yaml

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# One pytest process per CPU (pytest-xdist), one test file per process at a time, so each
# file's fixtures are built once; the session's shared pipeline run is built once for all
# (tests/conftest.py). TEST_WORKERS=0 runs the suite in this one process.
TEST_WORKERS ?= logical

test: lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# Double-clicking a notebook (a jupytext .py file) opens it as a notebook, not as text: a
# settings override in this environment's JupyterLab only, nothing in the user's home.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json

lab: $(STAMP) $(LAB_SETTINGS)
	$(BIN)/jupyter lab notebooks/

$(LAB_SETTINGS): $(STAMP)
	mkdir -p $(dir $@)
	printf '%s\n' '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"python": "Jupytext Notebook"}}}' > $@

bench: $(STAMP)
	$(BIN)/python benchmarks/preprocess.py --data $(DATA)
	$(BIN)/python benchmarks/models.py --data $(DATA)
	$(BIN)/python benchmarks/scale.py --data $(DATA)
	$(BIN)/python benchmarks/themes_coverage.py

lock: $(STAMP)
	{ echo "# Pinned environment of topiclab (CPython 3.11, Linux x86_64), installed by 'make' as pip"; \
	  echo "# constraints. Regenerate with 'make lock' after changing dependencies in pyproject.toml."; \
	  $(BIN)/pip freeze --exclude-editable | grep -v '^topiclab'; } > requirements.lock.tmp
	mv requirements.lock.tmp requirements.lock

clean:
	rm -rf $(VENV) .cache .pytest_cache
