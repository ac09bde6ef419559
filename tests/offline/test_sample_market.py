"""The embedded synthetic market: labelled synthetic, deterministic, every VIX regime present."""
from __future__ import annotations

import filecmp
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from config.constants import REGIME_TABLE, VIX_EXTREME
from offline.market.futures_roll import expected_roll_sessions
from offline.market.market_data import MarketData, load_market_data
from offline.market.sample_market import write_sample_market


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample_market(tmp_path_factory.mktemp("sample"), "2023-01-01", "2025-01-01")


@pytest.fixture(scope="module")
def sample(sample_dir: Path) -> MarketData:
    return load_market_data(sample_dir, "2023-01-01", "2025-01-01")


def test_it_is_labelled_synthetic_everywhere(sample_dir: Path, sample: MarketData) -> None:
    assert sample.source == "synthetic"
    assert "synthetic: true" in (sample_dir / "README.md").read_text()
    for folder in ("", "daily", "rates", "intraday"):
        assert "synthetic: true" in (sample_dir / folder / "SYNTHETIC.txt").read_text()
    assert any("synthetic" in p.name for p in (sample_dir / "intraday").iterdir() if p.suffix == ".gz")


def test_layout_matches_the_real_data(sample: MarketData) -> None:
    assert sorted(sample.daily) == ["GLD", "IWM", "QQQ", "SPY", "TLT"]
    assert sorted(sample.futures) == ["CL", "ES", "GC"]
    assert len(sample.sessions[sample.sessions >= np.datetime64("2023-01-01")]) == 502
    assert sample.sessions[0] == np.datetime64("2021-11-29")  # warm-up like the real data
    assert sample.vix_missing_days == ()
    assert not sample.vix_available(date(2024, 7, 4))  # holiday rows exist with nyse_session 0
    assert 0.0 < sample.rate_on(date(2024, 1, 2)) < 0.07
    assert sorted(sample.dividends) == ["IWM", "QQQ", "SPY", "TLT"]
    assert len(sample.dividends["SPY"].ex_dates) >= 8


def test_every_vix_regime_appears(sample: MarketData) -> None:
    closes = sample.vix.close[sample.vix.dates >= np.datetime64("2023-01-01")]
    bounds = [rule.lower_bound for rule in REGIME_TABLE]
    regime_index = np.searchsorted(bounds, closes, side="right") - 1
    counts = np.bincount(regime_index, minlength=len(REGIME_TABLE))
    assert np.all(counts >= 5), dict(zip([r.regime.value for r in REGIME_TABLE], counts))
    assert (closes >= VIX_EXTREME).sum() >= 5 and closes.max() < 80


def test_minute_bars_rebuild_the_daily_bar_exactly(sample: MarketData) -> None:
    spy = sample.daily["SPY"]
    assert len(sample.minute_bars) == 30
    half_days = [d for d, bars in sample.minute_bars.items() if len(bars.close) == 210]
    assert half_days == [date(2024, 11, 29), date(2024, 12, 24)]
    for day, bars in sample.minute_bars.items():
        i = int(np.searchsorted(spy.dates, np.datetime64(day, "D")))
        assert bars.open[0] == spy.open[i] and bars.close[-1] == spy.close[i]
        assert bars.high.max() == spy.high[i] and bars.low.min() == spy.low[i]
    assert any("390 bar(s)" in note for note in sample.notes)  # 16:00 and post-close bars dropped


def test_futures_rolls_are_detected(sample: MarketData) -> None:
    for root, recall in (("ES", 0.9), ("CL", 0.9)):
        series = sample.futures[root]
        expected = set(series.bars.dates[expected_roll_sessions(root, series.bars.dates)].tolist())
        detected = set(series.roll_dates.tolist())
        assert detected <= expected, root
        assert len(detected) >= recall * len(expected), (root, len(detected), len(expected))
        rolls = np.flatnonzero(series.roll)
        assert np.allclose(np.diff(series.adjusted_close)[rolls - 1], (series.bars.close - series.bars.open)[rolls])


def test_generation_is_deterministic(sample_dir: Path, tmp_path: Path) -> None:
    again = write_sample_market(tmp_path / "again", "2023-01-01", "2025-01-01")
    files = sorted(p.relative_to(sample_dir) for p in sample_dir.rglob("*") if p.is_file())
    assert len(files) == 17
    _, mismatch, errors = filecmp.cmpfiles(sample_dir, again, [str(f) for f in files], shallow=False)
    assert mismatch == [] and errors == []
    other = write_sample_market(tmp_path / "other", "2023-01-01", "2025-01-01", seed=7)
    assert (other / "daily" / "SPY.csv").read_bytes() != (sample_dir / "daily" / "SPY.csv").read_bytes()


def test_bad_window(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must be before"):
        write_sample_market(tmp_path, "2024-01-01", "2023-01-01")
    with pytest.raises(ValueError, match="need 40"):
        write_sample_market(tmp_path, "2024-01-01", "2024-01-20")


def test_a_2005_window_has_the_nyse_sessions_and_its_warm_up_from_2003(tmp_path: Path) -> None:
    market = load_market_data(write_sample_market(tmp_path / "s2005", "2005-01-03", "2006-12-29"),
                              "2005-01-03", "2006-12-29")
    assert market.sessions[0] == np.datetime64("2003-12-01")  # first session of the 400-day warm-up
    window = market.sessions[market.sessions >= np.datetime64("2005-01-03")]
    assert len(window) == 503
    assert np.datetime64("2004-06-11") not in market.sessions  # Reagan closure in the warm-up
    assert not market.vix_available(date(2006, 12, 25))
    for root in ("ES", "CL"):
        series = market.futures[root]
        assert len(series.roll_dates) >= (4 if root == "ES" else 18), root
