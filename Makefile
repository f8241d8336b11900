# The book's commands. On a fresh machine you need python3 (3.10+, with venv), make and git.
#   make lab    JupyterLab on the chapter notebooks (options: make lab LAB_ARGS="--no-browser --port 8899")
#   make book   the static site in _build/html (make serve to browse it)
#   make test   lint, unit and property tests, every notebook, the built site in Chromium
#               (its stages, one by one: make lint, make unit, make notebooks, make site)
# Installs go into .venv and happen again only when requirements.txt or pyproject.toml change.

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
PORT    ?= 8000
LAB_ARGS ?=
# JupyterLab refuses to run as root (containers, cloud workspaces) unless told it may.
ROOT_FLAG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
# What .venv is built from: the readers' list (lower bounds) by default; CI passes the
# lock Binder builds from, REQUIREMENTS=binder/requirements.txt (see make lock).
REQUIREMENTS ?= requirements.txt
LOCK    := binder/requirements.txt
LOCK_PYTHON := $(patsubst python-%,%,$(shell cat binder/runtime.txt))
UV_VERSION  := 0.13.9

.PHONY: lab book serve test lint unit notebooks site bench release lock notebooks-clean clean FORCE

lab: $(VENV)/.installed
	$(BIN)/jupyter lab $(ROOT_FLAG) $(LAB_ARGS) notebooks/

book: $(VENV)/.installed
	DDIA10_STATIC=1 $(BIN)/jupyter-book build -W -n --keep-going .
	@echo "The site is in _build/html: open _build/html/index.html, or run 'make serve'."

serve:
	@test -f _build/html/index.html || { echo "No site yet: run 'make book' first."; exit 1; }
	@echo "Serving the book on http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	$(PYTHON) -m http.server --bind 127.0.0.1 --directory _build/html $(PORT)

# Every stage runs, so one run reports every problem; any stage failing fails the target.
test: $(VENV)/.installed-test
	@status=0; \
	for stage in lint unit notebooks site; do \
		$(MAKE) --no-print-directory $$stage || status=1; \
	done; \
	exit $$status

lint: $(VENV)/.installed-test
	@echo "== lint: ruff check ."
	$(BIN)/ruff check .

# The package's tests, without the built site (make site).
unit: $(VENV)/.installed-test
	@echo "== unit: pytest tests/ (all but the site)"
	$(BIN)/pytest tests/ --ignore=tests/test_site.py

# Every chapter, top to bottom on a fresh kernel: each cell must run without an exception.
notebooks: $(VENV)/.installed-test
	@echo "== notebooks: pytest --nbval-lax notebooks/"
	$(BIN)/pytest $(NOTEBOOKS) --nbval-lax --nbval-current-env

# The site, built as make book builds it (DDIA10_SITE=_build/html checks that build
# instead), served and opened in headless Chromium.
site: $(VENV)/.installed-test
	@echo "== site: pytest tests/test_site.py"
	$(BIN)/pytest tests/test_site.py

bench: $(VENV)/.installed
	@for script in bench/*.py; do \
		[ -e "$$script" ] || continue; echo "== $$script"; $(BIN)/python "$$script" || exit 1; \
	done

# A release: bump ddia10's version, point the Colab cells and launch buttons at its tag,
# commit and tag locally (nothing is pushed).
release: $(VENV)/.installed
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=x.y.z"; exit 2; }
	$(BIN)/python tools/release.py $(VERSION)

# Binder's lock: every package pinned with its hashes, resolved from requirements.txt for
# Binder's Python (binder/runtime.txt) on Linux. After changing requirements.txt or the
# package's dependencies, `make lock` keeps every pin it can; `make lock UPGRADE=1` moves
# every pin to the newest release.
lock: | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(BIN)/uv pip compile requirements.txt --quiet $(if $(UPGRADE),--upgrade) --generate-hashes \
		--python-version $(LOCK_PYTHON) --python-platform linux --no-emit-package ddia10 \
		--custom-compile-command "make lock" --output-file $(LOCK)

notebooks-clean: $(VENV)/.installed
	$(BIN)/python tools/nbclean.py $(NOTEBOOKS)

clean:
	rm -rf _build .pytest_cache .hypothesis .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Remembers which requirements file .venv was built from, so switching files reinstalls.
$(VENV)/.requirements: FORCE | $(VENV)/bin/python
	@echo "$(REQUIREMENTS)" | cmp -s - $@ || echo "$(REQUIREMENTS)" > $@

# The lock cannot name the book's own package (a hashed lock holds no editable install):
# from the lock, the package is installed the way Binder installs it, by binder/postBuild.
$(VENV)/.installed: $(REQUIREMENTS) pyproject.toml $(VENV)/.requirements | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r $(REQUIREMENTS)
	$(if $(filter $(LOCK),$(REQUIREMENTS)),PATH="$(CURDIR)/$(BIN):$$PATH" binder/postBuild)
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

FORCE:
