"""Write a finished run's outputs: summary.json, trades.csv, equity.csv, daily.csv, journal.jsonl,
report.html, equity.png. Same inputs give byte-identical files (wall time is the only varying figure)."""
from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from config.loader import changed_parameters
from offline.replay.run_record import run_record
from offline.replay.runner import RunResult
from offline.report.baselines import cboe_index_baselines, short_put_baseline, t_bill_baseline
from offline.report.equity_chart import equity_png
from offline.report.html import start_html_report, write_html_report
from offline.report.overview import BASELINE_NAMES
from offline.report.workers import PendingBaseline, later
from reporting.journal import json_safe
from reporting.statistics import (
    buy_and_hold_baseline,
    equity_statistics,
    risk_free_daily_from_yields,
    summarize,
)
from reporting.trade_log import write_trades_csv

OPTION_PRICES_NOTE = ("modelled: Black-Scholes/Black-76 on a volatility surface from the VIX and, where "
                      "known, CBOE's VIX9D/VIX3M/VIX6M term structure (offline/market/chain_model.py), not real "
                      "option quotes")


def build_summary(result: RunResult, command: str = "", strategies_off: Sequence[str] = (),
                  baselines: tuple[dict[str, np.ndarray], dict[str, str]] | None = None) -> dict[str, Any]:
    """The summary.json content of a run; `command` and `strategies_off` go to its "run" section
    (offline/replay/run_record.py). `baselines`: baseline_series(result) when the caller has it already."""
    config, market, system = result.config, result.market, result.system
    dates = result.equity_dates
    rf = risk_free_daily_from_yields(dates, market.rate_dates, _yields_percent(market))
    trades = system.book.trades
    stats = summarize(dates, result.equity, trades, result.regimes, result.journal, rf)
    series, baseline_notes = baselines if baselines is not None else baseline_series(result)
    summary: dict[str, Any] = {
        "period": {"start": config.backtest.start, "end": config.backtest.end, "sessions": len(dates)},
        "initial_cash": config.backtest.cash,
        "final_equity": round(result.equity[-1], 2) if result.equity else config.backtest.cash,
        **_pnl_sources(result),
        **{k: v for k, v in stats.items() if k not in ("per_strategy",)},
        "strategies": _per_strategy(stats.get("per_strategy", {}), system.strategies),
        "regime_changes": [change.to_dict() for change in system.vix.history],
        "data_issues": [issue.to_dict() for issue in market.data_issues],
        "max_open_positions": result.max_open_positions,
        "errors": result.journal.count_by("error"),
        "data": {"source": market.source, "option_prices": "modelled", "option_prices_note": OPTION_PRICES_NOTE,
                 "data_dir": str(market.data_dir), "notes": list(market.notes),
                 "term_structure": term_structure_days(market, dates)},
        "baselines": {name: _baseline_stats(dates, values, rf) for name, values in series.items()},
        "baseline_notes": baseline_notes,
        "parameters_changed": changed_parameters(config),
        "run": run_record(config, market, dates, command, strategies_off),
        "wall_seconds": round(result.wall_seconds, 2),
    }
    return json_safe(summary)


def term_structure_days(market: Any, dates: list[Any]) -> dict[str, Any]:
    """Which sessions priced options on the market's ATM term structure (CBOE's VIX9D, VIX, VIX3M
    and VIX6M all known) and which on the model's: counts, and the model's days as date spans."""
    model = [i for i, d in enumerate(dates) if market.volatility_term(d) is None]
    spans: list[list[str]] = []
    for n, i in enumerate(model):
        if n and model[n - 1] == i - 1:
            spans[-1][1] = dates[i].isoformat()
        else:
            spans.append([dates[i].isoformat(), dates[i].isoformat()])
    return {"market_days": len(dates) - len(model), "model_days": len(model), "model_day_spans": spans}


def _pnl_sources(result: RunResult) -> dict[str, float]:
    """The run's P&L split: `cash_yield`, T-bill interest of the cash sweep, and `premium_pnl`, the
    rest (the strategies' trades, fees and dividends); they add up to final equity - initial cash."""
    initial = result.config.backtest.cash
    total = (result.equity[-1] if result.equity else initial) - initial
    cash_yield = result.cash_yield
    return {"cash_yield": round(cash_yield, 2), "premium_pnl": round(total - cash_yield, 2)}


def _yields_percent(market: Any) -> np.ndarray:
    return (np.exp(market.rates) - 1.0) * 100.0  # the loader stores continuous rates ln(1 + y/100)


def _per_strategy(per_strategy: dict[str, Any], strategies: dict[str, Any]) -> dict[str, Any]:
    """Every strategy listed, with zero rows for those that did not trade."""
    empty = {"trades": 0, "wins": 0, "win_rate": None, "pnl": 0.0}
    return {key: per_strategy.get(key, empty) for key in strategies}


def baseline_series(result: RunResult, short_put: PendingBaseline | None = None
                    ) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Equity series of the baselines over the run's sessions, and the CBOE indices' notes
    (offline.report.baselines.cboe_index_baselines). `short_put`: the short put baseline started in a
    worker (offline/report/workers.py), used when it was asked for over the sessions that ran."""
    market, dates, cash = result.market, result.equity_dates, result.config.backtest.cash
    spy = market.daily["SPY"]
    index = np.searchsorted(spy.dates, np.array(dates, dtype="datetime64[D]"))
    dividends = market.dividends.get("SPY")
    dividend_map = {} if dividends is None else dict(zip(dividends.ex_dates.astype(object),
                                                         dividends.amounts.astype(float), strict=True))
    cboe, notes = cboe_index_baselines(market.data_dir, dates, cash)
    reserve = result.config.risk.buying_power_reserve
    short_put_series = (short_put.value() if short_put is not None and short_put.dates == tuple(dates)
                        else short_put_baseline(market, dates, cash, reserve=reserve))
    return {"spy_buy_and_hold": buy_and_hold_baseline(dates, spy.close[index], dividend_map, cash),
            "spy_short_put_45dte": short_put_series,
            "t_bills_3m": t_bill_baseline(market, dates, cash),
            **cboe}, notes


def _baseline_stats(dates: list[Any], series: np.ndarray, rf: Any) -> dict[str, Any]:
    stats = equity_statistics(dates, series, rf)
    keep = ("total_return", "cagr", "sharpe", "sortino", "max_drawdown", "max_drawdown_dates")
    return {**{k: stats[k] for k in keep if k in stats}, "final_equity": round(float(series[-1]), 2)}


def _report_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary as the HTML report shows it: the regime-change list (often hundreds of rows, all
    in summary.json) becomes a count plus the changes into HIGH and EXTREME."""
    changes = summary["regime_changes"]
    stress = [f"{c['time'][:16].replace('T', ' ')} {c['from']} -> {c['to']} (VIX {c['vix']:.1f})"
              for c in changes if c["to"] in ("HIGH", "EXTREME")]
    return {**summary, "regime_changes": f"{len(changes)} changes (every one in summary.json)",
            "regime_changes_into_high_or_extreme": "; ".join(stress) or "none"}


def open_positions(result: RunResult) -> list[dict[str, Any]]:
    """The positions open at the end of the run: strategy, opened (ISO time), legs (signed contracts
    and contract keys) and the cash at entry (USD, + a credit received, - a debit paid)."""
    return [{"strategy": p.strategy, "opened": p.opened.isoformat(),
             "legs": " | ".join(f"{quantity:+d} {key}" for key, (_, quantity) in p.holdings.items() if quantity),
             "entry_cash": round(p.entry_cash, 2)} for p in result.system.book.all_open()]


def write_daily_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    """daily.csv: the daily record (offline/replay/daily_record.py), columns in first-seen order, 0 where a
    strategy or group has no value that day."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    lines = [",".join(columns)]
    for row in rows:
        lines.append(",".join(f"{row.get(c, 0.0):.2f}" if isinstance(row.get(c, 0.0), float) else str(row.get(c))
                              for c in columns))
    path.write_text("\n".join(lines) + "\n", encoding="ascii")


def write_outputs(result: RunResult, out_dir: Path, command: str = "", strategies_off: Sequence[str] = (),
                  pool: ProcessPoolExecutor | None = None, short_put: PendingBaseline | None = None) -> dict[str, Any]:
    """Write every output file into out_dir; returns the summary (see `build_summary`). `pool`: worker
    processes that draw the charts while this process writes the other files (offline/report/workers.py;
    None draws them here); `short_put`: the short put baseline started in them (see `baseline_series`)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    baselines, notes = baseline_series(result, short_put)
    summary = build_summary(result, command, strategies_off, (baselines, notes))
    title = "Equity (USD), SYNTHETIC sample market" if result.market.source == "synthetic" else "Equity (USD)"
    equity_chart = later(pool, equity_png, (result.equity_dates, result.equity,
                                            {"SPY buy and hold": baselines["spy_buy_and_hold"]}, title))
    strategy_pnl = {k: float(v.get("pnl") or 0.0) for k, v in summary["strategies"].items()}
    report = start_html_report(_report_summary(summary), (result.equity_dates, result.equity), None,
                               (result.equity_dates, result.vix_close), result.regimes, result.system.book.trades,
                               strategy_pnl, {BASELINE_NAMES[k]: v for k, v in baselines.items()},
                               daily=result.daily, open_positions=open_positions(result), pool=pool)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="ascii")
    write_trades_csv(result.system.book.trades, out_dir / "trades.csv")
    lines = ["date,equity,vix_close,regime"] + [
        f"{d.isoformat()},{e:.2f},{v:.2f},{r}" for d, e, v, r in
        zip(result.equity_dates, result.equity, result.vix_close, result.regimes, strict=True)]
    (out_dir / "equity.csv").write_text("\n".join(lines) + "\n", encoding="ascii")
    (out_dir / "journal.jsonl").write_text("".join(line + "\n" for line in result.journal.to_jsonl_lines()),
                                           encoding="ascii")
    write_daily_csv(out_dir / "daily.csv", result.daily)
    write_html_report(out_dir / "report.html", report)
    (out_dir / "equity.png").write_bytes(equity_chart())
    return summary
