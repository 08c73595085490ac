# Build the book and run the tests in a local virtual environment.
#   make book   execute every notebook and build the HTML into _build/html
#   make widgets-js  the widget JavaScript the book serves itself (npm ci + vendor step)
#   make test   ruff, a full book build, pytest over tests/, nbval over chapters/
#   make check  ruff and the unit tests: no book build, no browser (under a minute)
#   make student  the student edition: notebooks without solutions, executed, and its HTML
#   make lab    open the chapters in JupyterLab (kernel and data as the book build has them)
#   make clean  remove build outputs (keeps .venv; `make distclean` removes it too)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.requirements-installed
REQS   := requirements.txt requirements-test.txt pyproject.toml

# Never let playwright fetch a browser: the browser test drives Debian's chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
# Kernels are looked up in the venv before ~/.local/share/jupyter.
export JUPYTER_PREFER_ENV_PATH := 1

# Steps that start Jupyter kernels drop MPLBACKEND: ipykernel selects the inline
# backend only when MPLBACKEND is unset, and with Agg (as CI exports for the unit
# tests) figures would never reach the book.
KERNEL_ENV := env -u MPLBACKEND
# The book build and the notebook tests fail on a chapter check that no longer
# holds (gdlib.book.checks); a reader's session only prints a line.
STRICT := GDLIB_BOOK_STRICT=1
# The book build, nbval and the student edition each execute the chapters: the
# paper's figure runs are trained once and reused (gdlib.paper.figures.run_figure).
export GDLIB_RUN_CACHE ?= $(CURDIR)/_build/run-cache

# The book build shows every panel in its precomputed form (gdlib.widgets.show);
# everywhere else (nbval, a reader's kernel) the panels are live.
BOOK_ENV := GDLIB_WIDGETS=static

# Widget JavaScript: npm installs the versions package-lock.json pins into
# node_modules/ (not in git); scripts/vendor_widgets_js.py checks them against the
# Python ipywidgets and copies what the pages load, with licences, to
# _vendor/_static/widgets/ (an html_extra_path: it lands in _build/html/_static/widgets/).
WIDGETS_JS := _vendor/_static/widgets/manifest.json
NPM ?= npm

BOOK_ARGS ?=

.PHONY: venv book student test check lint lab clean distclean widgets-js

venv: $(STAMP)

$(STAMP): $(REQS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt -r requirements-test.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ipykernel)"
	@touch $@

widgets-js: $(WIDGETS_JS)

$(WIDGETS_JS): package.json package-lock.json scripts/vendor_widgets_js.py _ext/widget-assets.js $(STAMP)
	$(BIN)/python scripts/vendor_widgets_js.py --check
	$(NPM) ci --ignore-scripts --no-audit --no-fund
	$(BIN)/python scripts/vendor_widgets_js.py

book: venv widgets-js
	$(KERNEL_ENV) $(STRICT) $(BOOK_ENV) $(BIN)/jupyter-book build . -W -n --keep-going $(BOOK_ARGS)
	$(BIN)/python scripts/editions.py plain
	$(BIN)/python scripts/editions.py student --zip _build/html/downloads/gradient-descent-student-edition.zip
	@echo "The book is at $(CURDIR)/_build/html/index.html"

# The student edition in _build/student: its notebooks, executed, and its HTML
# (_build/student/_build/html). The full book stays the teacher's answer key.
student: venv widgets-js
	$(BIN)/python scripts/editions.py student
	$(KERNEL_ENV) $(BOOK_ENV) $(BIN)/jupyter-book build _build/student -W -n --keep-going
	@echo "The student edition is at $(CURDIR)/_build/student/_build/html/index.html"

lint: venv
	$(BIN)/ruff check .

# The browser test reads _build/html, so a full (--all) build comes first: an
# incremental build would not re-report the warnings of unchanged pages.
test: lint
	@$(MAKE) --no-print-directory book BOOK_ARGS=--all
	$(BIN)/python -m pytest --durations=15 tests/
	$(KERNEL_ENV) $(STRICT) $(BIN)/python -m pytest --nbval-lax --nbval-cell-timeout=600 chapters/ guide/

# The contributor's loop: everything that needs neither a built book nor a browser.
check: lint
	$(BIN)/python -m pytest -q -m "not browser and not book and not slow" tests/

# JupyterLab on the chapters, as the build runs them: the venv's `python3` kernel
# (JUPYTER_PREFER_ENV_PATH), no MPLBACKEND, cells run in chapters/, and GDLIB_DATA
# passed through when it is set (otherwise gdlib.data finds MNIST in its cache).
# Extra options: make lab LAB_ARGS="--no-browser --port=8890"
LAB_ARGS ?=
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: venv
	@echo "MNIST from $${GDLIB_DATA:-the gdlib cache (~/.cache/gdlib), downloaded if missing}"
	$(KERNEL_ENV) $(BIN)/jupyter-lab --ServerApp.root_dir="$(CURDIR)" $(ALLOW_ROOT) \
		--LabApp.default_url=/lab/tree/chapters/01_introduction.ipynb $(LAB_ARGS)

clean:
	rm -rf _build .pytest_cache .ruff_cache _vendor
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) node_modules
