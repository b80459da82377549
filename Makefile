# The two commands of the README, and the tools behind them.
PYTHON ?= python3
# jupyter refuses to run as root without --allow-root (containers, CI machines)
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg --nbval-cell-timeout=300

.PHONY: install lab test unit notebooks check-notebooks

install:
	$(PYTHON) -m pip install -q -r requirements.txt

lab: install  ## open the notebooks in JupyterLab (token on, loopback only)
	$(PYTHON) -m jupyter lab notebooks/ --ServerApp.ip=127.0.0.1 $(ROOT_FLAG)

test: install  ## every test: unit tests, widget tests, notebook sources, all notebooks under strict nbval
	$(PYTHON) -m pytest tests notebooks $(NBVAL)

unit:  ## the unit tests only (fast)
	$(PYTHON) -m pytest tests

notebooks:  ## rebuild and re-execute every notebook from notebooks/src/
	$(PYTHON) tools/build_notebooks.py
