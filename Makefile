# The book's commands. On a fresh machine you need python3 (3.10+, with venv), make and git.
#   make lab    JupyterLab on the chapter notebooks (options: make lab LAB_ARGS="--no-browser --port 8899")
#   make book   the static site in _build/html (make serve to browse it)
#   make test   lint, unit and property tests, every notebook, the built site in Chromium
# Installs go into .venv and happen again only when requirements.txt or pyproject.toml change.

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
PORT    ?= 8000
LAB_ARGS ?=
# JupyterLab refuses to run as root (containers, cloud workspaces) unless told it may.
ROOT_FLAG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))

.PHONY: lab book serve test lint bench release notebooks-clean clean

lab: $(VENV)/.installed
	$(BIN)/jupyter lab $(ROOT_FLAG) $(LAB_ARGS) notebooks/

book: $(VENV)/.installed
	DDIA10_STATIC=1 $(BIN)/jupyter-book build -W -n --keep-going .
	@echo "The site is in _build/html: open _build/html/index.html, or run 'make serve'."

serve:
	@test -f _build/html/index.html || { echo "No site yet: run 'make book' first."; exit 1; }
	@echo "Serving the book on http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	$(PYTHON) -m http.server --bind 127.0.0.1 --directory _build/html $(PORT)

# Lint and tests both run, so one run reports every problem; either failing fails the target.
test: $(VENV)/.installed-test
	@status=0; \
	echo "== ruff check ."; $(BIN)/ruff check . || status=1; \
	echo "== pytest tests/ notebooks/"; \
	$(BIN)/pytest tests/ $(NOTEBOOKS) --nbval-lax --nbval-current-env || status=1; \
	exit $$status

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

bench: $(VENV)/.installed
	@for script in bench/*.py; do \
		[ -e "$$script" ] || continue; echo "== $$script"; $(BIN)/python "$$script" || exit 1; \
	done

# A release: bump ddia10's version, point the Colab cells and launch buttons at its tag,
# commit and tag locally (nothing is pushed).
release: $(VENV)/.installed
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=x.y.z"; exit 2; }
	$(BIN)/python tools/release.py $(VERSION)

notebooks-clean: $(VENV)/.installed
	$(BIN)/python tools/nbclean.py $(NOTEBOOKS)

clean:
	rm -rf _build .pytest_cache .hypothesis .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@
