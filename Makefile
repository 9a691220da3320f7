# The two commands a newcomer needs are `make book` and `make test`; each creates .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PYTHONHASHSEED := 0
# Jupyter looks for kernels and config under the venv first; keep user files out of the way.
export JUPYTER_PLATFORM_DIRS := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help venv book book-incremental pdf serve test test-fast check-portability check-lite notebooks lab bench clean

help:
	@echo "make book       build the site into _build/html (executes every chapter)"
	@echo "make book-incremental  rebuild, re-running only chapters whose code changed"
	@echo "make pdf        the whole book as one PDF, from the stored outputs: _build/html/mlopt-book.pdf"
	@echo "make serve      serve _build/html at http://127.0.0.1:8000 (the in-browser edition needs HTTP)"
	@echo "make test       unit tests, notebook validation (nbval, strict) and the book build check"
	@echo "make notebooks  re-execute the chapters and store their outputs reproducibly"
	@echo "make check-portability  the chapters' output checks with another CPU's OpenBLAS kernels (by hand)"
	@echo "make check-lite every chapter run in the browser's Pyodide kernel (by hand, about 20 min)"
	@echo "make lab        open the chapters in JupyterLab (installs it into .venv first)"
	@echo "make bench      run the benchmarks in benchmarks/"
	@echo "make clean      remove _build and caches (keeps .venv)"

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt pip setuptools
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-build-isolation \
		-c constraints.txt -e ".[book,test]"
	$(BIN)/python -m pip check
	touch $@

venv: $(STAMP)

# The in-browser edition takes Pyodide with npm (scripts/ensure_apt.sh installs it as root);
# without it the book still builds, and one line says the edition is off.
book: $(STAMP)
	@bash scripts/ensure_apt.sh "the in-browser edition" npm npm
	rm -rf _build/html _build/.doctrees _build/.jupyter_cache _build/jupyter_execute
	$(BIN)/jupyter-book build --all . -W -n --keep-going
	@echo ""
	@echo "The book is built: open file://$(CURDIR)/_build/html/index.html"
	@echo "(to run chapters in the browser, serve it over HTTP: make serve)"

# Re-executes only the chapters whose code changed since the last build (not changes in mlopt/).
book-incremental: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo ""
	@echo "The book is built: open file://$(CURDIR)/_build/html/index.html"
	@echo "(to run chapters in the browser, serve it over HTTP: make serve)"

# The PDF from the chapters' stored outputs (no execution), with LuaLaTeX from Debian's TeX Live
# (scripts/build_pdf.py runs scripts/ensure_texlive.sh: it installs TeX Live as root, else prints
# the line to run). It goes to _build/latex/book.pdf and, for the preface's link, to
# _build/html/mlopt-book.pdf: run it after make book, which empties _build/html.
pdf: $(STAMP)
	$(BIN)/python scripts/build_pdf.py

# JupyterLite and Pyodide fetch their files over HTTP: file:// pages cannot run the chapters.
PORT ?= 8000
serve:
	@test -f _build/html/index.html || { echo "no site yet: run make book first" >&2; exit 1; }
	@echo "serving the book at http://127.0.0.1:$(PORT)/ (Ctrl-C stops)"
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

# pytest exits 5 when it collected no tests: that is a failure here, said in words.
test: $(STAMP)
	@bash scripts/ensure_chromium.sh
	@bash scripts/ensure_apt.sh "the in-browser edition and the workflow check" npm npm
	@bash scripts/ensure_texlive.sh || echo "note: without TeX Live tests/test_pdf.py fails; the other tests run" >&2
	@$(BIN)/python -m pytest -n 2 --dist loadfile --nbval --nbval-current-env \
		--nbval-sanitize-with book/sanitize.cfg --doctest-modules tests book mlopt; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; \
	exit $$status

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not slow" tests

# Run by hand before you stop (never in make test or CI): nbval and the committed-vs-fresh
# comparison of every chapter with OpenBLAS forced to another CPU's kernels, on one thread.
# CORETYPE=Haswell works on any AVX2 CPU, CORETYPE=SkylakeX only where the CPU has AVX-512.
CORETYPE ?= Sandybridge
check-portability: $(STAMP)
	OPENBLAS_CORETYPE=$(CORETYPE) OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadfile \
		--nbval --nbval-current-env --nbval-sanitize-with book/sanitize.cfg \
		book tests/test_notebook_outputs.py -k "not deterministic"

# Run by hand after make book: every chapter that runs in the browser, run there in the in-browser
# edition's Pyodide kernel (the site test runs two of them in make test).
check-lite: $(STAMP)
	@test -f _build/html/lite/jupyter-lite.json || { echo "no in-browser edition in _build/html: run make book first" >&2; exit 1; }
	MLOPT_SITE=$(CURDIR)/_build/html MLOPT_LITE_CHAPTERS=all $(BIN)/python -m pytest tests/test_site.py -k "runs_in_the_browser" -v

notebooks: $(STAMP)
	$(BIN)/python scripts/execute_notebooks.py book

lab: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[lab]"
	cd book && ../$(BIN)/jupyter lab

# The benchmarks also compare with dask-glm (the `bench` extra), installed on first use.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[bench]"
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf _build .pytest_cache .hypothesis
	find . -name __pycache__ -not -path "./.venv/*" -prune -exec rm -rf {} +
