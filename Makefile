# The two commands of the README, and the tools behind them.
PYTHON ?= python3
# jupyter refuses to run as root without --allow-root (containers, CI machines)
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg --nbval-cell-timeout=300
# two worker processes (pytest-xdist); --dist loadscope keeps each module's tests, and each notebook's
# nbval cells, in one worker, in order; -p loads the browser test's summary in the controller process
XDIST := -n 2 --dist loadscope -p tests.browser.summary

.PHONY: install install-dev lab test unit notebooks check-notebooks bench test-repro test-portable claims

install:  ## what the lab needs (requirements.txt)
	$(PYTHON) -m pip install -q -r requirements.txt

install-dev:  ## the lab plus the tests, the tools and the browser test (requirements-dev.txt)
	$(PYTHON) -m pip install -q -r requirements-dev.txt

lab: install  ## open the notebooks in JupyterLab (token on, loopback only)
	$(PYTHON) -m jupyter lab notebooks/ --ServerApp.ip=127.0.0.1 $(ROOT_FLAG)

test: install-dev  ## every test: unit, widget, notebook sources, all notebooks under strict nbval, the browser test; on 2 cores
	$(PYTHON) -m pytest $(XDIST) tests notebooks $(NBVAL)

unit:  ## the unit tests only (fast)
	$(PYTHON) -m pytest tests --ignore=tests/browser

bench: install-dev  ## the speed budgets, ours against torch: attention, MHA, explorers, import; ARGS=--notebooks adds nbval and make test
	$(PYTHON) tools/bench.py $(ARGS)

test-portable: install-dev  ## strict nbval on every notebook under the AVX2 and the plain (default) CPU code paths of torch
	ATEN_CPU_CAPABILITY=avx2 $(PYTHON) -m pytest -n 2 --dist loadscope notebooks $(NBVAL)
	ATEN_CPU_CAPABILITY=default $(PYTHON) -m pytest -n 2 --dist loadscope notebooks $(NBVAL)

claims: install-dev  ## replay every trained experiment from 20 fresh base seeds; per claim: replays held, worst and median margin
	$(PYTHON) tools/claims.py $(ARGS)

test-repro: install-dev  ## strict nbval 3 times at 1 torch thread and once at 2: every text output identical (about 6 min; not in make test)
	$(PYTHON) tools/check_reproducible.py

notebooks:  ## rebuild and re-execute every notebook from notebooks/src/
	$(PYTHON) tools/build_notebooks.py

# --- the lab in a browser, for self-study and the classroom (issue 8) ---
.PHONY: html classroom browser-test

html: install-dev  ## export every notebook to HTML with all its figures, into build/html/ (git-ignored)
	$(PYTHON) tools/export_html.py

classroom: install-dev  ## each notebook's main explorer alone, full width (Voila on 127.0.0.1, token on); NB=03 for one
	$(PYTHON) tools/classroom.py $(NB)

browser-test: install-dev  ## only the browser test: every notebook up to its main explorer in JupyterLab in Chromium; screenshots in artifacts/browser/
	$(PYTHON) -m pytest $(XDIST) tests/browser -q
