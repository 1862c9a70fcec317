# Set-up and main entry points. Every target makes its own virtual environment.
#   make study      install, then run the quick study (3 datasets x 3 seeds, prints the table)
#   make study-full the paper's full protocol (7 datasets x 10 seeds, with NASWOT and AREA, the seeds of a method fitted together; about 10 min on 2 cores)
#   make study-cv   the cv protocol at the defaults, every fit alone (9 datasets x 10 folds x 4 methods; about 5 min on 2 cores)
#   make proxy-study every training-free score against trained accuracy (200 topologies x 8 datasets; about 7 min on 2 cores)
#   make sparsity-study dense parent vs random search vs random masks vs Random Cloud at 5 sparsities (9 datasets x 10 folds; about 2 h on 2 cores, Adult's folds 1 h 37 min of it)
#   make saep-study every SAEP pruning rule against the unpruned ensemble (9 datasets x 10 folds; about 13 min on 2 cores)
#   make demo       install, then run the quick-start example (Random Cloud vs dense net on Sonar)
#   make test       install, then run the test suite (what CI runs; it runs every
#                   example and builds the docs without executing them)
#   make docs       build the documentation site in doc/_build/html, running the gallery
#   make screenshots make docs, then photograph every page with headless Chromium
#                   into doc/_build/screenshots, to look at before a release (needs
#                   chromium, e.g. apt-get install -y chromium; not run by CI)
#   make test-slow  the long studies and reproductions marked @pytest.mark.slow
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
# CPU build of torch, installed before the package so pip pulls no CUDA build.
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin

.PHONY: study study-full study-cv proxy-study sparsity-study saep-study demo docs screenshots test test-slow lint clean

# Each install step says what it does (pip itself stays quiet): together they
# take a few minutes the first time, and nothing after that.
$(BIN)/activate:
	@echo "Creating the virtual environment $(VENV)..."
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	@echo "Installing torch (CPU build, $(TORCH_SPEC))..."
	@$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	@echo "Installing sklearn_rcloud and its extras (test, study, docs, onnx, dask)..."
	@$(BIN)/python -m pip install --quiet -e ".[test,study,docs,onnx,dask]"
	@touch $@
	@echo "Installed into $(VENV)."

study: $(VENV)/.installed
	@echo "Running the quick study (3 datasets x 3 seeds x 4 methods, about 1 minute)..."
	$(BIN)/python -m sklearn_rcloud.study --quick --n-jobs -1 --out results/quick

study-full: $(VENV)/.installed
	$(BIN)/python -m sklearn_rcloud.study --protocol paper --datasets all --n-jobs -1 --shared --out results/paper

study-cv: $(VENV)/.installed
	@echo "Running the cv protocol (9 datasets x 10 folds x 4 methods, each fit alone, about 5 minutes)..."
	$(BIN)/python -m sklearn_rcloud.study --protocol cv --datasets all --methods full random_cloud magnitude random --alone --out results/cv

proxy-study: $(VENV)/.installed
	@echo "Running the proxy study (200 topologies x 8 datasets, about 7 minutes)..."
	$(BIN)/python -m sklearn_rcloud.study --protocol proxies --n-jobs -1 --out results/proxies

sparsity-study: $(VENV)/.installed
	@echo "Running the sparsity study (9 datasets x 10 folds x 14 networks, about 2 hours on 2 cores)..."
	$(BIN)/python -m sklearn_rcloud.study --protocol sparsity --n-jobs -1 --out results/sparsity

saep-study: $(VENV)/.installed
	@echo "Running the SAEP study (9 datasets x 10 folds x 4 rules, about 13 minutes)..."
	$(BIN)/python -m sklearn_rcloud.study --protocol saep --n-jobs -1 --out results/saep

demo: $(VENV)/.installed
	$(BIN)/python examples/plot_quickstart.py

test: $(VENV)/.installed
	$(BIN)/python -m pytest

docs: $(VENV)/.installed
	$(BIN)/python -m sphinx -W --keep-going -b html doc doc/_build/html

# PAGES='user_guide* quick_start*' photographs some pages only; SHOT_HEIGHT
# sets how much of a long page each picture shows (CSS pixels from the top).
PAGES ?=
SHOT_HEIGHT ?= 3000
screenshots: docs
	$(BIN)/python doc/screenshots.py --html doc/_build/html \
		--out doc/_build/screenshots --height $(SHOT_HEIGHT) $(PAGES)

test-slow: $(VENV)/.installed
	$(BIN)/python -m pytest -m slow

lint: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet ruff
	$(BIN)/ruff check sklearn_rcloud tests examples

clean:
	rm -rf $(VENV) build *.egg-info doc/_build doc/auto_examples
