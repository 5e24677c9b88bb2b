# Reproducing the companion's results and checking the notebooks.
#
#   make reproduce PROFILE=smoke|cpu|paper   run every notebook through papermill into
#                                            results/<PROFILE>/<NN_topic>/ (ONLY="03 04" for some)
#   make notebooks                           re-create notebooks/*.ipynb from the .py files and
#                                            store their smoke-profile outputs (what nbval compares)
#   make sync                                update each .ipynb's cells from its .py
#   make test                                unit tests (includes the pairing/plotting tests)
#   make test-notebooks                      nbval on the stored notebooks (results go to a temp dir)
#   make book                                build the Jupyter Book (never executes notebooks)
#
# Long profiles: SYMLENS_RESUME=1 make reproduce PROFILE=paper resumes interrupted training
# runs from their checkpoints; SYMLENS_REUSE_RUNS=1 keeps matching saved runs in notebook 03.

PROFILE ?= smoke
SEED ?= 0
DEVICE ?= auto
ONLY ?=
PYTHON ?= python
NBVAL_FLAGS = --nbval --nbval-current-env --nbval-sanitize-with notebooks/nbval_sanitize.cfg -p no:cacheprovider

.PHONY: reproduce notebooks sync test test-notebooks book

reproduce:
	$(PYTHON) scripts/reproduce.py run --profile $(PROFILE) --seed $(SEED) --device $(DEVICE) $(if $(ONLY),--only $(ONLY))

notebooks:
	$(PYTHON) scripts/reproduce.py store $(if $(ONLY),--only $(ONLY))

sync:
	$(PYTHON) scripts/reproduce.py sync

test:
	$(PYTHON) -m pytest

test-notebooks:
	@tmp=$$(mktemp -d); \
	SYMLENS_RESULTS_DIR=$$tmp $(PYTHON) -m pytest $(NBVAL_FLAGS) notebooks/; \
	status=$$?; rm -rf $$tmp; exit $$status

book:
	jupyter-book build book/
