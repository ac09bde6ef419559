# One-command set-up: every target creates .venv (Python 3.11) and installs the pinned
# dependencies from requirements.txt when they are missing or changed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DATA   ?= ../shared/data

.PHONY: test backtest backtest-real bench bench-greeks lint lean-check

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required (the LEAN cloud version); found " + sys.version' 
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	@touch $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 tests

bench-greeks: $(STAMP)
	$(BIN)/python -m benchmarks.greeks_throughput

lint: $(STAMP)
	$(BIN)/ruff check .
