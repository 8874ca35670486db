# efklab: the two commands are `make demo` and `make test`; everything they need is installed here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install lint test demo bench lab lambda-zip clean distclean

install: $(STAMP)

# Re-installs only when pyproject.toml changes; the package is editable, so code edits need nothing.
# Each phase is announced; pip's output is condensed to the packages it resolves (a first install fetches
# about 150, some two minutes), all of it kept in $(VENV)/install.log.
$(STAMP): pyproject.toml
	@echo "efklab install [1/4]: virtual environment in $(VENV)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "efklab install [2/4]: pip"
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	@echo "efklab install [3/4]: efklab and its dependencies (a first install takes about two minutes)"
	@bash -o pipefail -c 'if [ -t 1 ]; then mode=tty; else mode=log; fi; \
	  $(BIN)/python -m pip install --disable-pip-version-check -e ".[dev]" 2>&1 | tee $(VENV)/install.log \
	  | awk -v mode=$$mode -f scripts/pip-progress.awk' || { echo "pip failed: $(VENV)/install.log has its output"; exit 1; }
	@echo "efklab install [4/4]: matplotlib's font cache (built once, so the first report does not wait for it)"
	@$(BIN)/python -c "import matplotlib.font_manager"
	@touch $(STAMP)
	@echo "efklab installed in $(VENV)"

# The architecture and style checks fail the build like a test does: ruff (lint, line length),
# import-linter (.importlinter: layers, no cycles, client libraries at the edge) and mypy.
lint: install
	$(BIN)/ruff check efklab tests benchmarks notebooks/build.py
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

demo: install
	@bash scripts/demo.sh

bench: install
	$(BIN)/python -m benchmarks

# JupyterLab refuses to run as root without --allow-root (containers and CI runners often are root).
lab: install
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root,)

lambda-zip: install
	$(BIN)/python -m efklab.deploy.build lambda.zip

clean:
	rm -rf reports build dist .pytest_cache .hypothesis lambda.zip

distclean: clean
	-$(BIN)/efklab opensearch down
	rm -rf $(VENV) .efklab
