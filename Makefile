# One-command set-up: every target creates .venv (Python 3.11) and installs what it needs, pinned,
# when missing or changed: the backtest targets requirements.txt (numpy, pandas, scipy, matplotlib),
# the test targets requirements-dev.txt as well (pytest, hypothesis, ruff, mypy and stubs, QuantLib...).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.dev-installed-stamp
DATA   ?= ../shared/data
OUT    ?= results
PIP    := $(BIN)/python -m pip install --disable-pip-version-check --progress-bar off

.PHONY: test backtest backtest-real bench bench-greeks lint lean-check lean-replay report-screenshot

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || { \
	  echo "error: Python 3.11 is required (the LEAN cloud version); '$(PYTHON)' is $$($(PYTHON) --version 2>/dev/null || echo 'not found')."; \
	  echo "  Get 3.11: apt-get install python3.11 python3.11-venv (Debian, Ubuntu), brew install python@3.11 (macOS),"; \
	  echo "  or uv python install 3.11 / pyenv install 3.11 anywhere; then: make $(MAKECMDGOALS) PYTHON=/path/to/python3.11"; \
	  exit 1; }
	@echo "[1/3] creating $(VENV) with $$($(PYTHON) --version)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "[2/3] installing what a backtest needs (requirements.txt: numpy, pandas, scipy, matplotlib; .venv about 430 MB)"
	$(PIP) -r requirements.txt
	@echo "[3/3] installing this project (the tomking command: $(BIN)/tomking)"
	$(PIP) -q --no-deps -e .
	@touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.txt
	@echo "installing the test and type-check tools (requirements-dev.txt: pytest, hypothesis, ruff, mypy, QuantLib...)"
	$(PIP) -r requirements-dev.txt
	@touch $(DEV_STAMP)

## make lean-check: type-check main.py and the LEAN adapter against quantconnect-stubs
lean-check: $(DEV_STAMP)
	$(BIN)/mypy main.py lean_adapter

## make lean-replay: main.py day by day through the LEAN stand-in over LEAN-format files built from $(DATA)
lean-replay: $(DEV_STAMP)
	$(BIN)/python -m tests.lean_standin.replay --data $(DATA)

## make test: lint, type-check the LEAN side, run every test (real-data tests read $(DATA)), the LEAN replay
test: $(DEV_STAMP) lean-check
	$(BIN)/ruff check .
	TOMKING_DATA=$(DATA) $(BIN)/python -m pytest -q -n 2 tests
	$(MAKE) --no-print-directory lean-replay

## make backtest: the seed configuration on the embedded (synthetic) sample market
backtest: $(STAMP)
	$(BIN)/tomking backtest --out $(OUT)/seed-synthetic

## make backtest-real: the seed configuration on the real market data in $(DATA)
backtest-real: $(STAMP)
	$(BIN)/tomking backtest --data $(DATA) --start 2023-01-01 --end 2025-01-01 --cash 30000 --out $(OUT)/seed-real

## make bench: the whole tomking backtest command (seed and ten-year runs), this tree against c304b4c side by side:
## wall time and where it went, simulated minutes per second, peak memory; then the pricing and on_data benchmarks
bench: $(DEV_STAMP)
	$(BIN)/python -m benchmarks.whole_command --data $(DATA)
	$(BIN)/python -m benchmarks.greeks_throughput
	$(BIN)/python -m benchmarks.american_throughput
	$(BIN)/python -m benchmarks.chain_model_speed
	$(BIN)/python -m benchmarks.on_data_cost

bench-greeks: $(DEV_STAMP)
	$(BIN)/python -m benchmarks.greeks_throughput

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

## make report-screenshot: render the real-data seed report in headless Chromium (Debian package
## chromium) into docs/report.png (its first 2,400 px at 1280 px wide, scaled to 900, with the run's figures)
report-screenshot: backtest-real
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
	  --disable-component-update --disable-sync --hide-scrollbars --user-data-dir=$$(mktemp -d) \
	  --window-size=1280,2400 --screenshot=$(OUT)/report-top.png file://$(abspath $(OUT))/seed-real/report.html
	$(BIN)/python -m offline.report.screenshot $(OUT)/report-top.png $(OUT)/seed-real/summary.json docs/report.png
