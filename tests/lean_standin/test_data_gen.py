"""The replay's LEAN files are the real data where it exists: SPY minutes byte for byte in
LEAN's units, daily bars as in the data folder, and a modelled VIX path through the real daily
VIX bar, written in Chicago time."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd

from tests.lean_standin import data_gen
from tests.lean_standin.lean_files import read_daily, read_minute
from tests.lean_standin.market_hours import entry_for

DAY = date(2024, 8, 5)


def test_the_replay_files_hold_the_real_spy_minutes_and_a_vix_path_through_the_real_daily_bar(
        shared_data: Path, tmp_path: Path) -> None:
    data_gen.build(shared_data, tmp_path, [DAY])
    spy = read_minute(tmp_path, "equity", "SPY", DAY, entry_for("Equity", "usa", "SPY"))
    real = pd.read_csv(shared_data / data_gen.SPY_MINUTES, parse_dates=["ts_et"])
    real = real[real["ts_et"].dt.date == DAY]
    assert len(spy) == len(real) == 391  # 09:30 .. 16:00 (the last one a closing print the engine drops)
    assert [(b.time, b.open, b.close, b.volume) for b in spy] == [
        (r.ts_et.to_pydatetime(), r.open, r.close, r.volume) for r in real.itertuples()]
    vix_entry = entry_for("Index", "usa", "VIX")
    vix = read_minute(tmp_path, "index", "VIX", DAY, vix_entry)
    daily = pd.read_csv(shared_data / "daily" / "VIX_cboe.csv")
    bar = daily[daily["date"] == DAY.isoformat()].iloc[0]
    assert vix[0].time == datetime(2024, 8, 5, 8, 30) and vix[-1].end_time == datetime(2024, 8, 5, 15, 0)
    assert (vix[0].open, max(b.high for b in vix), min(b.low for b in vix), vix[-1].close) == (
        bar["open"], bar["high"], bar["low"], bar["close"])
    spy_daily = read_daily(tmp_path, "equity", "SPY", entry_for("Equity", "usa", "SPY"))
    assert (spy_daily[-1].time.date(), spy_daily[-1].close) == (DAY, 517.38)  # README cross-check value
