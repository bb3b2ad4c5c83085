# ember's commands. `make test` and `make demo` work on a fresh clone: each creates the
# virtual environment it needs first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo bench rl venv clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test,rl]'
	touch $(STAMP)

venv: $(STAMP)

test: $(STAMP)
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest tests

demo: $(STAMP)
	$(BIN)/python examples/tour.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

rl: $(STAMP)
	$(BIN)/python examples/rl/run_all.py

clean:
	rm -rf $(VENV) out build src/*.egg-info
