"""The rule audit on a large account (every advanced strategy unlocked): one year, $150,000, real data.

2020 holds the March crash (EXTREME regime, spike deployment), the recovery and a VIX mostly above 20,
so most strategies open and close positions built from one or several orders. Every fill, order and
trade row must pass offline/report/rule_audit.py (option prices modelled).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from config.loader import load_config
from offline.market.market_data import load_market_data
from offline.replay.runner import BacktestRunner
from offline.report.rule_audit import audit_run


def test_a_150k_year_has_no_fill_order_or_trade_row_outside_a_rule(shared_data: Path):
    config = load_config({"backtest_start": "2020-01-02", "backtest_end": "2020-12-31", "backtest_cash": "150000"})
    market = load_market_data(shared_data, config.backtest.start_date, config.backtest.end_date)
    with tempfile.TemporaryDirectory() as state:
        result = BacktestRunner(config, market, Path(state)).run()
    trades = result.system.book.trades
    strategies = {t["strategy"] for t in trades}
    assert len(trades) >= 30 and len(strategies) >= 8, (len(trades), sorted(strategies))
    assert any(t["legs"].count("|") >= 2 and t["strategy"] == "leap_put_ladder" for t in trades) or \
        any(t["strategy"] in ("ipmcc", "short_leap_put", "futures_strangle") for t in trades)
    problems = audit_run(trades, result.journal.records, config)
    assert problems == {check: [] for check in problems}
