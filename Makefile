# Two commands do everything on a fresh Debian machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run demo test lint typecheck pytest deps system-deps bench bundle smoke install-desktop screenshots

run: deps
	$(BIN)/kapcompanion

demo: deps
	$(BIN)/kapcompanion --demo

test: deps lint typecheck pytest

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

pytest:
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider

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
