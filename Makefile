# One-command set-up: every target creates .venv (Python 3.11) and installs the pinned
# dependencies from requirements.txt when they are missing or changed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DATA   ?= ../shared/data
OUT    ?= results

.PHONY: test backtest backtest-real bench bench-greeks lint lean-check lean-replay report-screenshot

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required (the LEAN cloud version); found " + sys.version'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	@touch $(STAMP)

## make lean-check: type-check main.py and the LEAN adapter against quantconnect-stubs
lean-check: $(STAMP)
	$(BIN)/mypy main.py lean_adapter

## make lean-replay: main.py day by day through the LEAN stand-in over LEAN-format files built from $(DATA)
lean-replay: $(STAMP)
	$(BIN)/python -m tests.lean_standin.replay --data $(DATA)

## make test: lint, type-check the LEAN side, run every test (real-data tests read $(DATA)), the LEAN replay
test: $(STAMP) lean-check
	$(BIN)/ruff check .
	TOMKING_DATA=$(DATA) $(BIN)/python -m pytest -q -n 2 tests
	$(MAKE) --no-print-directory lean-replay

## make backtest: the seed configuration on the embedded (synthetic) sample market
backtest: $(STAMP)
	$(BIN)/tomking backtest --out $(OUT)/seed-synthetic

## make backtest-real: the seed configuration on the real market data in $(DATA)
backtest-real: $(STAMP)
	$(BIN)/tomking backtest --data $(DATA) --start 2023-01-01 --end 2025-01-01 --cash 30000 --out $(OUT)/seed-real

## make bench: seed run on real data: wall time, sessions and minutes per second, peak memory
bench: $(STAMP)
	$(BIN)/python -m benchmarks.seed_run --data $(DATA)
	$(BIN)/python -m benchmarks.greeks_throughput
	$(BIN)/python -m benchmarks.american_throughput
	$(BIN)/python -m benchmarks.chain_model_speed
	$(BIN)/python -m benchmarks.on_data_cost

bench-greeks: $(STAMP)
	$(BIN)/python -m benchmarks.greeks_throughput

lint: $(STAMP)
	$(BIN)/ruff check .

## make report-screenshot: render the real-data seed report in headless Chromium (Debian package
## chromium) into docs/report.png (page top, 1280 px wide, scaled to 900)
report-screenshot: backtest-real
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
	  --disable-component-update --disable-sync --hide-scrollbars --user-data-dir=$$(mktemp -d) \
	  --window-size=1280,7600 --screenshot=$(OUT)/report-full.png file://$(abspath $(OUT))/seed-real/report.html
	$(BIN)/python -c "from PIL import Image; im = Image.open('$(OUT)/report-full.png').convert('RGB'); \
	  im.resize((900, im.height * 900 // im.width)).quantize(64).save('docs/report.png', optimize=True)"
