# Two commands do everything on a fresh Debian machine: `make run` and `make test`.
# `make check` is the quick inner loop (lint, types, the tests that need no display and are
# not slow, stopping at the first failure).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run demo test check lint typecheck pytest deps system-deps bench bundle smoke install-desktop screenshots

run: deps
	$(BIN)/kapcompanion

demo: deps
	$(BIN)/kapcompanion --demo

test: deps lint typecheck pytest

check: $(STAMP) lint typecheck
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider -x -n auto \
		--dist worksteal -m "not gui and not slow"

deps: system-deps $(STAMP)

system-deps:
	@tools/system-deps.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy
	$(BIN)/mypy tests

# -n auto: one worker per core (pytest-xdist); worksteal hands a long test's neighbours to an
# idle worker (the kill tests wait on their children); --durations names the slowest tests
pytest:
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider -n auto \
		--dist worksteal --durations=15

bench: deps
	$(BIN)/python bench/run.py

# The one-folder app in dist/kapcompanion-VERSION/ (PyInstaller, build.spec).
bundle: deps
	$(BIN)/python -m pip install -q "pyinstaller>=6.10,<7"
	$(BIN)/python -m PyInstaller --noconfirm --distpath dist --workpath build build.spec

# Build the bundle and drive the frozen executable headless (CI runs this after `make test`).
smoke: deps
	$(BIN)/python -m pip install -q "pyinstaller>=6.10,<7"
	$(BIN)/python tools/smoke_bundle.py

# A launcher and icon for the current user (the bundle if built, else the .venv app).
install-desktop:
	tools/install-desktop.sh

screenshots: deps
	$(BIN)/python tools/screenshots.py
