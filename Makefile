# The MINE book: build and test pipeline. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BUDGET ?= full
NB     ?=
# Chapters (make book) and test workers (make test) at once: one per core by default.
JOBS   ?= $(shell nproc 2>/dev/null || echo 1)
# pytest-xdist: one worker per job, one test file (a chapter's nbval cells, the book's tests) per worker
# at a time, in the order conftest.py sorts them. (loadgroup would not do: xdist 3.8 cannot attach its
# group to a node id under pytest 9.)
XDIST  := $(if $(filter 1,$(JOBS)),-p no:xdist,-n $(JOBS) --dist loadfile --no-loadscope-reorder)
# pip warns once per package about missing extra-index folders on these machines.
PIP_NOISE := is ignored: it is neither a file nor a directory

# Run everything from the venv; its kernelspec `python3` wins over any user-wide one.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export JUPYTER_PATH := $(CURDIR)/$(VENV)/share/jupyter$(if $(JUPYTER_PATH),:$(JUPYTER_PATH))
export PYDEVD_DISABLE_FILE_VALIDATION := 1
export DEBIAN_FRONTEND := noninteractive

.PHONY: help venv book html chapter tables test test-fast lint chromium clean

help:
	@echo "make venv       create .venv (pinned requirements.txt, minebook editable, kernel python3)"
	@echo "make book       execute every chapter of _toc.yml (BUDGET=$(BUDGET), JOBS=$(JOBS) at once), then build _build/html"
	@echo "make html       build _build/html from the committed notebooks only (no execution)"
	@echo "make chapter NB=notebooks/06_gaussians_ksg.py   sync + execute one chapter in place"
	@echo "make tables     regenerate the reproduction / execution-time tables from book/results"
	@echo "make test       the full suite: units, sync, smoke, nbval, book build, browser"
	@echo "make test-fast  units, sync and smoke runs"
	@echo "make lint       ruff check ."

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt 2>&1 | { grep -v "$(PIP_NOISE)" || true; }
	$(BIN)/python -m pip install --quiet --no-deps -e . 2>&1 | { grep -v "$(PIP_NOISE)" || true; }
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

book: venv
	@start=$$(date +%s); \
	$(BIN)/python scripts/bookgen.py run --budget $(BUDGET) --jobs $(JOBS); \
	echo "building the HTML (jupyter-book, -W: any warning fails the build) ..."; \
	$(BIN)/jupyter-book build --all -W -n --keep-going -q . >_build/logs/jupyter-book.log 2>&1 \
	  || { tail -40 _build/logs/jupyter-book.log; exit 1; }; \
	echo "make book: $$(( $$(date +%s) - start )) s in all; open $(CURDIR)/_build/html/index.html"

html: venv
	$(BIN)/jupyter-book build --all -W -n --keep-going .

chapter: venv
	@test -n "$(NB)" || { echo "usage: make chapter NB=notebooks/NN_name.py"; exit 2; }
	$(BIN)/python scripts/bookgen.py run --budget $(BUDGET) $(NB)

tables: venv
	$(BIN)/python scripts/bookgen.py tables

# Headless Chromium for the browser tests (Debian package; needs root, else the tests skip).
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium (apt-get)"; \
	  { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
	    || echo "WARNING: apt-get install chromium failed: the browser tests will skip"; \
	else echo "note: chromium not found and not root: the browser tests will skip"; fi

test: venv chromium
	$(BIN)/pytest $(XDIST)

test-fast: venv
	$(BIN)/pytest $(XDIST) tests -m "not book and not browser"

lint: venv
	$(BIN)/ruff check .

clean:
	rm -rf _build .pytest_cache .hypothesis
