"""Statistics: hand-checked figures, definitions at the edges, and SPY total return on real data."""
from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reporting.journal import Journal
from reporting.statistics import (
    as_dates,
    buy_and_hold_baseline,
    cagr,
    drawdown_series,
    equity_statistics,
    max_drawdown,
    regime_days,
    risk_free_daily_from_yields,
    sharpe_ratio,
    sortino_ratio,
    strategy_statistics,
    summarize,
    trade_statistics,
)

DAYS = [date(2024, 1, 1) + timedelta(days=i) for i in range(6)]
KNOWN_RETURNS = [0.01, -0.01, 0.02, 0.0]


def _trade(strategy: str, pnl: float, fees: float = 1.0) -> dict:
    return {"strategy": strategy, "pnl": pnl, "fees": fees}


def test_max_drawdown_hand_checked() -> None:
    depth, dates = max_drawdown(DAYS[:4], [100.0, 110.0, 99.0, 120.0])
    assert depth == pytest.approx(-0.10, abs=1e-12)
    assert dates == {"peak": "2024-01-02", "trough": "2024-01-03", "recovery": "2024-01-04"}


def test_max_drawdown_not_recovered_and_repeated_peak() -> None:
    depth, dates = max_drawdown(DAYS[:4], [100.0, 120.0, 90.0, 110.0])
    assert depth == pytest.approx(-0.25)
    assert dates == {"peak": "2024-01-02", "trough": "2024-01-03", "recovery": None}
    # The drawdown starts from the LAST day at the peak before the trough.
    depth, dates = max_drawdown(DAYS[:5], [100.0, 110.0, 110.0, 99.0, 110.0])
    assert depth == pytest.approx(-0.10)
    assert dates == {"peak": "2024-01-03", "trough": "2024-01-04", "recovery": "2024-01-05"}


def test_no_drawdown() -> None:
    assert max_drawdown(DAYS[:3], [100.0, 101.0, 102.0]) == (0.0, {"peak": None, "trough": None, "recovery": None})
    assert drawdown_series([100.0, 110.0, 99.0, 120.0]) == pytest.approx([0.0, 0.0, -0.1, 0.0])


def test_sharpe_and_sortino_of_a_known_series() -> None:
    # mean 0.005, sample stdev sqrt(5e-4 / 3) = 0.0129099; downside deviation sqrt(1e-4 / 4) = 0.005
    assert sharpe_ratio(KNOWN_RETURNS) == pytest.approx(6.148170, rel=1e-6)
    assert sortino_ratio(KNOWN_RETURNS) == pytest.approx(15.874508, rel=1e-6)  # sqrt(252)


def test_sharpe_and_sortino_with_a_risk_free_rate() -> None:
    rates = [0.001] * 4  # excess = 0.009, -0.011, 0.019, -0.001: mean 0.004
    assert sharpe_ratio(KNOWN_RETURNS, rates) == pytest.approx(4.918536, rel=1e-6)
    # downside deviation sqrt((0.011^2 + 0.001^2) / 4) = 0.00552268
    assert sortino_ratio(KNOWN_RETURNS, rates) == pytest.approx(11.497683, rel=1e-6)
    with pytest.raises(ValueError, match="risk_free_daily"):
        sharpe_ratio(KNOWN_RETURNS, [0.0] * 3)


def test_ratios_undefined_are_none() -> None:
    assert sharpe_ratio([0.01]) is None
    assert sharpe_ratio([0.01, 0.01, 0.01]) is None  # no spread
    assert sortino_ratio([0.01, 0.02, 0.0]) is None  # nothing below target
    equity = [100.0 * 1.01 ** i for i in range(6)]  # flat returns up to rounding noise
    stats = equity_statistics(DAYS, equity)
    assert stats["sharpe"] is None and stats["sortino"] is None


def test_equity_statistics_from_a_path() -> None:
    equity = [100.0]
    for r in KNOWN_RETURNS:
        equity.append(equity[-1] * (1.0 + r))
    stats = equity_statistics(DAYS[:5], equity)
    assert stats["sharpe"] == pytest.approx(6.148170, rel=1e-6)
    assert stats["total_return"] == pytest.approx(1.01 * 0.99 * 1.02 - 1.0)
    assert stats["volatility"] == pytest.approx(math.sqrt(5e-4 / 3) * math.sqrt(252))
    assert stats["max_drawdown"] == pytest.approx(-0.01)
    assert stats["start"] == "2024-01-01" and stats["end"] == "2024-01-05" and stats["sessions"] == 5
    assert stats["risk_free"] == "zero"


def test_cagr_on_calendar_days() -> None:
    # 2020-01-01 .. 2024-01-01 is 1461 days = 4 years of 365.25 days: doubling -> 2 ** 0.25 - 1
    assert cagr([date(2020, 1, 1), date(2024, 1, 1)], [100.0, 200.0]) == pytest.approx(0.1892071150)
    assert cagr([date(2023, 1, 1), date(2025, 1, 1)], [30000.0, 36300.0]) == pytest.approx(
        1.21 ** (365.25 / 731) - 1)
    assert cagr([date(2024, 1, 1)], [100.0]) is None


def test_trade_statistics_hand_checked() -> None:
    rows = [_trade("a", 100.0), _trade("a", -50.0), _trade("b", 30.0), _trade("b", -20.0), _trade("b", 0.0)]
    stats = trade_statistics(rows)
    assert stats == {
        "trades": 5, "wins": 2, "losses": 2, "win_rate": 0.4, "profit_factor": pytest.approx(130.0 / 70.0),
        "avg_win": 65.0, "avg_loss": -35.0, "gross_profit": 130.0, "gross_loss": -70.0, "pnl": 60.0,
        "fees": 5.0,
    }


def test_profit_factor_edges() -> None:
    assert trade_statistics([_trade("a", 10.0), _trade("a", 5.0)])["profit_factor"] is None  # no loss: inf
    assert trade_statistics([_trade("a", -10.0)])["profit_factor"] == 0.0
    empty = trade_statistics([])
    assert empty["trades"] == 0 and empty["win_rate"] is None and empty["profit_factor"] is None
    assert empty["avg_win"] is None and empty["avg_loss"] is None
    with pytest.raises(ValueError, match="pnl"):
        trade_statistics([{"strategy": "a", "pnl": float("nan"), "fees": 0.0}])
    with pytest.raises(ValueError, match="fees"):
        trade_statistics([{"strategy": "a", "pnl": 1.0}])


def test_per_strategy() -> None:
    rows = [_trade("zero_dte", 50.0), _trade("lt112", -200.0, 2.0), _trade("zero_dte", 40.0),
            _trade("zero_dte", -100.0)]
    per = strategy_statistics(rows)
    assert list(per) == ["lt112", "zero_dte"]
    assert per["zero_dte"]["trades"] == 3 and per["zero_dte"]["wins"] == 2
    assert per["zero_dte"]["win_rate"] == pytest.approx(2 / 3)
    assert per["zero_dte"]["pnl"] == pytest.approx(-10.0)
    assert per["zero_dte"]["avg_win"] == 45.0 and per["zero_dte"]["avg_loss"] == -100.0
    assert per["lt112"] == trade_statistics([rows[1]])
    with pytest.raises(ValueError, match="strategy"):
        strategy_statistics([{"pnl": 1.0, "fees": 0.0}])


def test_regime_days() -> None:
    days = regime_days(["LOW", "LOW", "NORMAL", "HIGH", "EXTREME", "HIGH"])
    assert days == {"EXTREMELY_LOW": 0, "LOW": 2, "NORMAL": 1, "ELEVATED": 0, "VOLATILE": 0, "HIGH": 2,
                    "EXTREME": 1}
    with pytest.raises(ValueError, match="regimes\\[1\\]"):
        regime_days(["LOW", "PANIC"])


def test_risk_free_from_yields_is_as_of_the_period_start() -> None:
    periods = [date(2024, 1, 2), date(2024, 1, 3), date(2024, 1, 4), date(2024, 1, 5)]
    rates = risk_free_daily_from_yields(periods, [date(2023, 12, 29), date(2024, 1, 4)], [1.0, 5.0])
    one, five = 1.01 ** (1 / 252) - 1, 1.05 ** (1 / 252) - 1
    assert rates == pytest.approx([one, one, five])
    assert five == pytest.approx(0.00019363, rel=1e-4)
    with pytest.raises(ValueError, match="no yield"):
        risk_free_daily_from_yields(periods, [date(2024, 1, 3)], [5.0])


def test_buy_and_hold_baseline_hand_checked() -> None:
    dates = [date(2024, 3, 1), date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 6)]
    dividends = {
        date(2024, 3, 1): 9.0,  # ex on the buying day: not received
        date(2024, 3, 3): 1.0,  # ex on a Sunday between sessions: reinvested at the 03-04 close
        date(2024, 3, 6): 0.5,
        date(2024, 3, 9): 7.0,  # after the last date: ignored
    }
    equity = buy_and_hold_baseline(dates, [100.0, 110.0, 105.0, 120.0], dividends, 1000.0)
    units_1 = 10.0 * (1.0 + 1.0 / 110.0)
    assert equity[:3] == pytest.approx([1000.0, 1110.0, units_1 * 105.0])
    assert equity[3] == pytest.approx(units_1 * (1.0 + 0.5 / 120.0) * 120.0)
    assert buy_and_hold_baseline(dates, [100.0, 110.0, 105.0, 120.0], None, 1000.0) == pytest.approx(
        [1000.0, 1100.0, 1050.0, 1200.0])


def test_buy_and_hold_validation() -> None:
    with pytest.raises(ValueError, match="cash"):
        buy_and_hold_baseline(DAYS[:2], [1.0, 2.0], None, 0.0)
    with pytest.raises(ValueError, match="closes\\[1\\]"):
        buy_and_hold_baseline(DAYS[:2], [1.0, -2.0], None, 100.0)
    with pytest.raises(ValueError, match="dividend"):
        buy_and_hold_baseline(DAYS[:2], [1.0, 2.0], {DAYS[1]: -1.0}, 100.0)


def test_input_validation() -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        equity_statistics([DAYS[1], DAYS[0]], [1.0, 2.0])
    with pytest.raises(ValueError, match="equity\\[1\\]"):
        equity_statistics(DAYS[:2], [1.0, 0.0])
    with pytest.raises(ValueError, match="2 items but equity has 3"):
        equity_statistics(DAYS[:2], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="empty"):
        equity_statistics([], [])
    with pytest.raises(ValueError, match="not a date"):
        as_dates(["2024-01-01", "soon"])


def test_dates_in_any_form() -> None:
    eastern = timezone(timedelta(hours=-5))
    forms = [date(2024, 1, 1), datetime(2024, 1, 2, 16, 0, tzinfo=eastern), np.datetime64("2024-01-03"),
             pd.Timestamp("2024-01-04"), "2024-01-05"]
    assert as_dates(forms) == DAYS[:5]


def test_summarize_is_json_safe_and_complete() -> None:
    journal = Journal()
    stamp = datetime(2024, 1, 2, 10, 0, tzinfo=UTC)
    journal.record(stamp, "denial", "no room", reason="max_positions")
    journal.record(stamp, "denial", "no room", reason="max_positions")
    summary = summarize(DAYS[:4], [100.0, 110.0, 99.0, 120.0], [_trade("a", 5.0)],
                        regimes=["LOW", "LOW", "HIGH", "HIGH"], journal=journal,
                        risk_free_daily=[0.0, 0.0, 0.0])
    assert summary["orders_denied"] == {"max_positions": 2}
    assert summary["regime_days"]["HIGH"] == 2
    assert summary["per_strategy"]["a"]["trades"] == 1
    assert summary["risk_free"] == "supplied"
    assert summary["max_drawdown"] == pytest.approx(-0.1)
    json.dumps(summary, allow_nan=False)
    bare = summarize(DAYS[:2], [1.0, 2.0], [])
    assert bare["regime_days"] == {} and bare["orders_denied"] == {}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(min_value=1.0, max_value=1e6), min_size=1, max_size=40))
def test_drawdown_properties(values: list[float]) -> None:
    dates = [date(2024, 1, 1) + timedelta(days=i) for i in range(len(values))]
    depth, info = max_drawdown(dates, values)
    assert -1.0 < depth <= 0.0
    assert depth == pytest.approx(min(v / max(values[: i + 1]) - 1.0 for i, v in enumerate(values)), abs=1e-12)
    if depth < 0:
        assert info["peak"] < info["trough"]
        assert info["recovery"] is None or info["recovery"] > info["trough"]


def _spy_total_return(data_root, first: str, last: str) -> tuple[float, dict]:
    spy = pd.read_csv(data_root / "daily" / "SPY.csv", parse_dates=["date"])
    spy = spy[(spy["date"] >= first) & (spy["date"] <= last)]
    dividends = pd.read_csv(data_root / "daily" / "ETF_dividends_derived.csv", parse_dates=["ex_date"])
    dividends = dividends[dividends["ticker"] == "SPY"]
    equity = buy_and_hold_baseline(spy["date"], spy["close"],
                                   dict(zip(dividends["ex_date"], dividends["dividend"])), 30_000.0)
    return float(equity[-1] / equity[0] - 1.0), equity_statistics(spy["date"], equity)


def test_spy_buy_and_hold_matches_published_total_returns(shared_data) -> None:
    # SPY calendar-year total returns (market price, distributions reinvested): 2023 26.19%, 2024 24.89%
    total_2023, stats_2023 = _spy_total_return(shared_data, "2022-12-30", "2023-12-29")
    total_2024, stats_2024 = _spy_total_return(shared_data, "2023-12-29", "2024-12-31")
    assert total_2023 == pytest.approx(0.2619, abs=0.0015)
    assert total_2024 == pytest.approx(0.2489, abs=0.0015)
    # 2023's deepest fall: close 457.79 on 07-31 to 410.68 on 10-27 (about -10.3% on price alone,
    # a little less with the September dividend reinvested); 2024's ends at the 5 August close.
    assert stats_2023["max_drawdown_dates"] == {"peak": "2023-07-31", "trough": "2023-10-27",
                                                "recovery": "2023-11-30"}
    assert -0.1029 < stats_2023["max_drawdown"] < -0.099
    assert stats_2024["max_drawdown_dates"]["trough"] == "2024-08-05"
