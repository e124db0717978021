# Two commands: `make run` serves on embedded defaults, `make test` runs lint and the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# pytest-xdist processes; 0 runs the suite in one process. More than the 2 cores here: a test spends much of its time
# waiting for PostgreSQL, Redis or a process it started (an e2e test two thirds of it), and a worker that waits
# leaves its core to another. A fourth measured no faster in a fresh clone (make test 3:10-3:19 against 3:10 with
# three) and costs ~30 s more CPU for its start-up
PYTEST_WORKERS ?= 3
# the suite's temporary files (SQLite databases, chDB stores, servers' VAR_DIRs and logs) on a tmpfs when there is
# one: none of them has to outlive the run, and each SQLite commit waited for an fsync on this machine's disk (the
# SQLite contract tests 22-34 s -> 14-19 s alone, load 6-7)
TEST_TMPDIR ?= $(shell test -d /dev/shm -a -w /dev/shm && echo /dev/shm)
NEVER_IMPORTED := pandas|pyarrow|datastore|faker|pip|setuptools|mypyc
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)

.PHONY: install run test suite lint typecheck importlint unit services browser loadgen screenshots bench lock fmt clean bytecode

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	# bytecode at install time: this machine sets PYTHONDONTWRITEBYTECODE, and every process the suite starts would
	# otherwise compile what it imports again. Not for the packages nothing here imports (pandas, pyarrow and chDB's
	# DataStore, which the OLAP adapter keeps out; faker, whose plugin pytest leaves off; pip, setuptools, mypyc):
	# 45 % of the files, half of the compilation's CPU (18.7 -> 9.8 s measured). One of them imported after all is
	# only compiled in that process, as without this step
	$(BIN)/python -m compileall -q -j 0 -x '/site-packages/($(NEVER_IMPORTED))/' \
		"$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/casino-club migrate
	$(BIN)/casino-club serve

# lint and the suite run side by side, either failing fails `make test`. Lint at the lowest CPU priority: the suite
# leaves a core partly idle while its tests wait, and lint (mypy ~15 s of CPU in a fresh clone) fits in those gaps
# instead of slowing the suite's end
test: install
	$(MAKE) --no-print-directory -j 2 lint suite LINT_PRIORITY="nice -n 19"

# worksteal: a worker that runs out of tests takes half of another's queue, so the run ends when the work does.
# Bytecode written: pytest keeps its assert-rewritten test modules in __pycache__ only then (this machine sets
# PYTHONDONTWRITEBYTECODE), and collecting from that cache costs each worker ~7 s less CPU on the next run
suite: install services browser loadgen bytecode
	env -u PYTHONDONTWRITEBYTECODE $(if $(TEST_TMPDIR),TMPDIR=$(TEST_TMPDIR)) \
		$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal

# our own code changes between runs; a stale .pyc is ignored by Python, so this only ever saves time. It also
# writes pytest's assert-rewritten test modules once, which each xdist worker would otherwise rewrite on its own
bytecode: install
	$(BIN)/python -m tests.support.bytecode

lint: install
	$(LINT_PRIORITY) $(BIN)/ruff check src workers migrations tests
	$(LINT_PRIORITY) $(BIN)/ruff format --check src workers migrations tests
	$(LINT_PRIORITY) $(BIN)/mypy
	$(LINT_PRIORITY) $(BIN)/lint-imports

services: install
	$(BIN)/python -m tests.support.services

# the browser tests drive Debian's Chromium (installed here with apt-get when missing and we are root)
browser: install
	$(BIN)/python -m tests.support.browser

# wrk, the C load generator of the benchmarks (and of the test that runs the mixed-traffic benchmark tiny)
loadgen: install
	$(BIN)/python -m tests.support.apt wrk

# the README's pictures of the main screens (docs/screenshots/), taken from a fresh embedded server
screenshots: install browser
	$(BIN)/python -m tests.browser.screenshots docs/screenshots

bench: install services loadgen
	$(BIN)/python -m tests.bench

# requirements.lock: everything `make install` puts in the virtualenv; requirements.runtime.lock: what the image ships
lock: $(BIN)/python
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --constraint requirements.lock -o requirements.runtime.lock

fmt: install
	$(BIN)/ruff format src workers migrations tests
	$(BIN)/ruff check --fix src workers migrations tests

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
