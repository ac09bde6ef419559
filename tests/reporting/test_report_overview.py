"""The report's first screen (verdict against the baselines with T-bills, buying power), what ran,
the compact trade and open-position tables and the plain-name reference at the end."""
from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest

from offline.market.market_data import load_market_data
from offline.report.baselines import t_bill_baseline
from offline.report.charts import line_style
from offline.report.overview import (
    buying_power_line,
    plain_value,
    run_section,
    summary_reference,
    trades_section,
    verdict_section,
    warnings_section,
)
from tests.reporting.test_report_sections import _well_formed

SUMMARY = {
    "total_return": 0.1198, "cagr": 0.058, "sharpe": 0.18, "max_drawdown": -0.0219, "final_equity": 33594.24,
    "premium_pnl": 1164.46, "cash_yield": 2429.78, "pnl": 827.25, "orders_denied": {"sizing:risk_budget": 456},
    "baselines": {"spy_buy_and_hold": {"total_return": 0.583, "cagr": 0.259, "sharpe": 1.47, "max_drawdown": -0.0997,
                                       "final_equity": 47490.0},
                  "t_bills_3m": {"total_return": 0.107, "cagr": 0.052, "sharpe": 0.0, "max_drawdown": 0.0,
                                 "final_equity": 33210.0}},
    "run": {"version": "0.1.0", "command": "tomking backtest --set lt112_profit_target=0.6",
            "parameters_changed": {"lt112_profit_target": 0.6},
            "window_requested": {"start": "2023-01-01", "end": "2025-01-01"},
            "window_ran": {"first_session": "2023-01-03", "last_session": "2024-12-31", "sessions": 502},
            "coverage_warnings": ["the window ends after the data"],
            "strategies_without_data": ["lt112 switched off: daily/ES_front_month.csv missing from the data folder"],
            "data_files": [{"file": "daily/SPY.csv", "first": "2015-01-02", "last": "2025-01-31"}]},
}
DAILY = [{"date": "2024-01-02", "net_liquidation": 30000.0, "margin_used": 3000.0, "phase_cap": 15900.0,
          "regime_cap": 21000.0},
         {"date": "2024-01-03", "net_liquidation": 40000.0, "margin_used": 12000.0, "phase_cap": 26000.0,
          "regime_cap": 28000.0}]


def test_the_verdict_compares_the_system_with_each_baseline():
    text = verdict_section(SUMMARY, DAILY)
    _well_formed(text)
    assert "<h2>Verdict: 2023-01-03 to 2024-12-31 (502 sessions)</h2>" in text
    assert ('<tr><th>this system (option prices modelled)</th><td class="num">11.98%</td><td class="num">5.80%</td>'
            '<td class="num">0.18</td><td class="num">-2.19%</td><td class="num">$33,594.24</td></tr>') in text
    assert "<th>3-month T-bills (DGS3MO)</th><td class=\"num\">10.70%</td>" in text
    assert "SPY buy and hold (dividends reinvested)" in text
    assert "the strategies (trades, fees, open positions) $1,164.46, T-bill interest on idle cash $2,429.78, " \
           "total $3,594.24" in text


def test_buying_power_average_and_peak_against_the_caps():
    # used: 10% and 30% of net liquidation; the peak day's caps 65% and 70%; the averages 59% and 70%
    assert buying_power_line(DAILY) == (
        "<p>Buying power used: on average 20.0% of net liquidation, at its peak 30.0% on 2024-01-03 (that day's caps: "
        "phase 65%, VIX regime 70%; over the run the phase cap averaged 59% and the regime cap 70%).</p>")
    assert buying_power_line([]) == ""


def test_what_ran_and_the_warnings():
    text = run_section(SUMMARY)
    _well_formed(text)
    assert "tomking backtest --set lt112_profit_target=0.6" in text and "lt112_profit_target=0.6" in text
    assert "2023-01-03 to 2024-12-31 (502 sessions)" in text and "<td>daily/SPY.csv</td><td>2015-01-02</td>" in text
    warning = warnings_section(SUMMARY)
    _well_formed(warning)
    assert "<li>the window ends after the data</li>" in warning
    assert "lt112 switched off: daily/ES_front_month.csv missing from the data folder</li>" in warning
    assert warnings_section({}) == "" and run_section({}) == ""


def test_open_positions_are_listed_apart_from_closed_trades():
    text = trades_section([], [{"strategy": "leap_put_ladder", "opened": "2024-12-16T10:30:00-05:00",
                                "legs": "+1 SPY 2026-12-18 P 430", "entry_cash": -905.0}])
    _well_formed(text)
    assert "<p>No closed trades.</p>" in text and "<h2>Positions open at the end (1)</h2>" in text
    assert "<td>2024-12-16 10:30</td><td>+1 SPY 2026-12-18 P 430</td><td class=\"num\">-$905.00</td>" in text


def test_the_reference_uses_plain_names_and_units():
    text = summary_reference(SUMMARY)
    _well_formed(text)
    assert '<th>P&amp;L of closed trades, after fees <span class="key">pnl</span></th><td class="num">$827.25</td>' in text
    assert '<th>total return <span class="key">total_return</span></th><td class="num">11.98%</td>' in text
    assert "<th>sizing:risk_budget</th><td class=\"num\">456</td>" in text


def test_plain_values_are_rounded_for_reading():
    assert plain_value(14.426801923296692) == "14.43"
    assert plain_value(-185.99999999999997, "$") == "-$186.00"
    assert plain_value(0.1234, "%") == "12.34%" and plain_value(None) == "n/a" and plain_value(1234) == "1,234"


def test_each_of_fourteen_strategies_gets_its_own_colour_and_line_style():
    assert len({line_style(index) for index in range(14)}) == 14


def test_t_bills_earned_10_7_percent_in_2023_2024(shared_data: Path):
    market = load_market_data(shared_data, date(2023, 1, 1), date(2025, 1, 1))
    sessions = [date.fromisoformat(str(day)) for day in market.sessions if str(day) >= "2023-01-01"]
    equity = t_bill_baseline(market, sessions, 30_000.0)
    assert equity[0] == 30_000.0
    assert equity[-1] / equity[0] - 1.0 == pytest.approx(0.107, abs=0.002)
    # one session to the next: the previous session's DGS3MO yield over the calendar days, compounded
    day0, day1 = sessions[0], sessions[1]
    assert equity[1] == pytest.approx(30_000.0 * math.exp(market.rate_on(day0) * (day1 - day0).days / 365.0))
