"""The report's first screen and its reference parts, in plain words and units.

- `warnings_section`: what the data did not cover and strategies run without their data;
- `verdict_section`: the system against SPY buy and hold, a 45-DTE short put and T-bills (return,
  CAGR, Sharpe, max drawdown), where the P&L came from, buying power used (average and peak)
  against the phase and regime caps;
- `run_section`: what ran (version, command, window, parameters changed, data files);
- `strategy_table`, `trades_section` (closed trades in a scrollable table, open positions apart);
- `summary_reference`: every figure of summary.json under a plain name with its unit, at the end.
Each returns an HTML fragment; every text is escaped.
"""
from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

BASELINE_NAMES = {"spy_buy_and_hold": "SPY buy and hold (dividends reinvested)",
                  "spy_short_put_45dte": "45-DTE 16-delta SPY short put",
                  "t_bills_3m": "3-month T-bills (DGS3MO)",
                  "cboe_put": "CBOE S&P 500 PutWrite index (PUT)", "cboe_bxm": "CBOE S&P 500 BuyWrite index (BXM)",
                  "cboe_cndr": "CBOE S&P 500 Iron Condor index (CNDR)",
                  "cboe_pput": "CBOE S&P 500 5% Put Protection index (PPUT)"}
# summary key -> (plain name, unit: "%" fraction shown as percent, "$" USD, "" a count or text)
PLAIN_NAMES: dict[str, tuple[str, str]] = {
    "initial_cash": ("starting capital", "$"), "start_equity": ("equity on the first session", "$"),
    "final_equity": ("final equity", "$"), "end_equity": ("equity on the last session", "$"),
    "total_return": ("total return", "%"), "cagr": ("compound annual growth rate (CAGR)", "%"),
    "volatility": ("annualised volatility of daily returns", "%"), "sharpe": ("Sharpe ratio (daily, annualised)", ""),
    "sortino": ("Sortino ratio", ""), "max_drawdown": ("maximum drawdown", "%"),
    "cash_yield": ("T-bill interest on idle cash (cash sweep)", "$"),
    "premium_pnl": ("P&L of the strategies (trades, fees, open positions)", "$"),
    "pnl": ("P&L of closed trades, after fees", "$"), "gross_profit": ("sum of winning closed trades", "$"),
    "gross_loss": ("sum of losing closed trades", "$"), "fees": ("fees of closed trades", "$"),
    "avg_win": ("average winning trade", "$"), "avg_loss": ("average losing trade", "$"),
    "profit_factor": ("profit factor (gross profit / gross loss)", ""), "win_rate": ("win rate", "%"),
    "trades": ("closed trades", ""), "wins": ("winning trades", ""), "losses": ("losing trades", ""),
    "sessions": ("sessions", ""), "calendar_days": ("calendar days", ""), "errors": ("runtime errors", ""),
    "max_open_positions": ("most positions open at once", ""), "wall_seconds": ("wall time (seconds)", ""),
    "risk_free": ("risk-free rate of the Sharpe ratio (DGS3MO)", ""),
}
SCROLL_TABLE = '<div class="scroll"><table class="{css}">{head}{body}</table></div>'


def plain_value(value: Any, unit: str = "") -> str:
    """Text of a figure rounded for reading: percent with 2 decimals, dollars with cents and
    thousands separators, other floats with 2 decimals; None as "n/a"."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) and not (isinstance(value, float) and not math.isfinite(value)):
        if unit == "%":
            return f"{value * 100:.2f}%"
        if unit == "$":
            return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"
        return f"{value:,d}" if isinstance(value, int) else f"{value:,.2f}"
    if isinstance(value, Mapping):
        return "; ".join(f"{key}: {plain_value(item)}" for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(plain_value(item) for item in value)
    return str(value)


def _td(value: Any, unit: str = "", signed: bool = False) -> str:
    """A table cell; numbers right-aligned, and with `signed` green when above 0, red below."""
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    sign = (" pos" if value > 0 else " neg" if value < 0 else "") if numeric and signed else ""
    css = f' class="num{sign}"' if numeric else ""
    return f"<td{css}>{html.escape(plain_value(value, unit))}</td>"


def warnings_section(summary: Mapping[str, Any]) -> str:
    """A warning box when the data did not cover the window or strategies ran without their data."""
    run = summary.get("run") or {}
    lines = list(run.get("coverage_warnings", [])) + list(run.get("strategies_without_data", []))
    if not lines:
        return ""
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return f'<div class="banner warning">Warning: the data did not cover everything asked for<ul>{items}</ul></div>'


def verdict_section(summary: Mapping[str, Any], daily: Sequence[Mapping[str, Any]]) -> str:
    """The first screen: the system against its baselines, the P&L sources and buying power used."""
    head = ("<tr><th></th><th>total return</th><th>CAGR</th><th>Sharpe</th><th>max drawdown</th>"
            "<th>final equity</th></tr>")
    rows = [("this system (option prices modelled)", summary)]
    rows += [(BASELINE_NAMES.get(key, key), stats) for key, stats in (summary.get("baselines") or {}).items()]
    body = "".join(f"<tr><th>{html.escape(name)}</th>{_td(stats.get('total_return'), '%')}"
                   f"{_td(stats.get('cagr'), '%')}{_td(stats.get('sharpe'))}{_td(stats.get('max_drawdown'), '%')}"
                   f"{_td(stats.get('final_equity'), '$')}</tr>" for name, stats in rows)
    period = summary.get("run", {}).get("window_ran") or {}
    title = "Verdict"
    if period.get("first_session"):
        title += f": {period['first_session']} to {period['last_session']} ({period['sessions']} sessions)"
    parts = [f"<h2>{html.escape(title)}</h2>", f'<table class="verdict">{head}{body}</table>']
    premium, interest = summary.get("premium_pnl"), summary.get("cash_yield")
    if premium is not None and interest is not None:
        parts.append("<p>Where the P&amp;L came from: the strategies (trades, fees, open positions) "
                     f"{html.escape(plain_value(premium, '$'))}, T-bill interest on idle cash "
                     f"{html.escape(plain_value(interest, '$'))}, total "
                     f"{html.escape(plain_value(premium + interest, '$'))}.</p>")
    parts.append(buying_power_line(daily))
    return "\n".join(parts)


def buying_power_line(daily: Sequence[Mapping[str, Any]]) -> str:
    """Buying power used, average and peak, as a share of net liquidation, against the caps."""
    rows = [row for row in daily if float(row.get("net_liquidation", 0.0)) > 0.0]
    if not rows:
        return ""
    used = [float(row["margin_used"]) / float(row["net_liquidation"]) for row in rows]
    peak = max(range(len(rows)), key=lambda i: used[i])
    phase_cap = [float(row["phase_cap"]) / float(row["net_liquidation"]) for row in rows]
    regime_cap = [float(row["regime_cap"]) / float(row["net_liquidation"]) for row in rows]
    return (f"<p>Buying power used: on average {sum(used) / len(used):.1%} of net liquidation, at its peak "
            f"{used[peak]:.1%} on {html.escape(str(rows[peak]['date']))} (that day's caps: phase "
            f"{phase_cap[peak]:.0%}, VIX regime {regime_cap[peak]:.0%}; over the run the phase cap averaged "
            f"{sum(phase_cap) / len(phase_cap):.0%} and the regime cap {sum(regime_cap) / len(regime_cap):.0%}).</p>")


def run_section(summary: Mapping[str, Any]) -> str:
    """What ran: version, command, window asked and ran, parameters changed, data files."""
    run = summary.get("run")
    if not run:
        return ""
    asked, ran = run["window_requested"], run["window_ran"]
    changed = run["parameters_changed"]
    rows = [("version", run["version"]), ("command", run["command"] or "(not run from the command line)"),
            ("window asked for", f"{asked['start']} to {asked['end']}"),
            ("window that ran", f"{ran['first_session']} to {ran['last_session']} ({ran['sessions']} sessions)"),
            ("parameters changed from their defaults",
             ", ".join(f"{k}={v}" for k, v in changed.items()) or "none: every parameter at its default")]
    table = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    files = "".join(f"<tr><td>{html.escape(f['file'])}</td><td>{f['first'] or ''}</td><td>{f['last'] or ''}</td></tr>"
                    for f in run["data_files"])
    return (f"<h2>What ran</h2><table>{table}</table><details><summary>Data files ({len(run['data_files'])}) "
            f"with their first and last dates</summary><table><tr><th>file</th><th>first</th><th>last</th></tr>"
            f"{files}</table></details>")


def strategy_table(summary: Mapping[str, Any]) -> str:
    """Closed trades, wins, win rate and P&L (USD, after fees) per strategy."""
    strategies = summary.get("strategies") or summary.get("per_strategy") or {}
    if not strategies:
        return ""
    head = "<tr><th>strategy</th><th>closed trades</th><th>wins</th><th>win rate</th><th>P&amp;L after fees</th></tr>"
    body = "".join(f"<tr><th>{html.escape(key)}</th>{_td(row.get('trades', 0))}{_td(row.get('wins', 0))}"
                   f"{_td(row.get('win_rate'), '%')}{_td(row.get('pnl'), '$', True)}</tr>"
                   for key, row in strategies.items())
    return f"<h2>Per strategy (closed trades)</h2><table>{head}{body}</table>"


TRADE_VIEW = (("strategy", "strategy", ""), ("opened", "entry_time", ""), ("closed", "exit_time", ""),
              ("days", "holding_days", ""), ("legs", "legs", ""), ("qty", "quantity", ""),
              ("entry", "entry_price", ""), ("exit", "exit_price", ""), ("P&L after fees", "pnl", "$"),
              ("fees", "fees", "$"), ("why closed", "exit_reason", ""))


def trades_section(trades: Sequence[Mapping[str, Any]], open_positions: Sequence[Mapping[str, Any]]) -> str:
    """Closed trades (compact, scrollable, times to the minute) and the positions open at the end."""
    parts = [f"<h2>Closed trades ({len(trades)})</h2>"]
    if trades:
        head = "<tr>" + "".join(f"<th>{html.escape(title)}</th>" for title, _, _ in TRADE_VIEW) + "</tr>"
        body = "".join("<tr>" + "".join(_td(_trade_value(trade, key), unit, key == "pnl") for _, key, unit in TRADE_VIEW)
                       + "</tr>" for trade in trades)
        parts.append(SCROLL_TABLE.format(css="trades compact", head=head, body=body))
    else:
        parts.append("<p>No closed trades.</p>")
    parts.append(f"<h2>Positions open at the end ({len(open_positions)})</h2>")
    if open_positions:
        head = "<tr><th>strategy</th><th>opened</th><th>legs</th><th>cash at entry (+ credit, - debit)</th></tr>"
        body = "".join(f"<tr><td>{html.escape(p['strategy'])}</td><td>{html.escape(p['opened'][:16].replace('T', ' '))}"
                       f"</td><td>{html.escape(p['legs'])}</td>{_td(p['entry_cash'], '$')}</tr>" for p in open_positions)
        parts.append(f'<table class="compact">{head}{body}</table>')
    else:
        parts.append("<p>None: every position was closed by the end of the run.</p>")
    return "\n".join(parts)


def _trade_value(trade: Mapping[str, Any], key: str) -> Any:
    value = trade[key]
    if key in ("entry_time", "exit_time") and isinstance(value, str):
        return value[:16].replace("T", " ")
    if key in ("entry_price", "exit_price") and isinstance(value, float):
        return round(value, 2)
    if key == "holding_days" and isinstance(value, float):
        return round(value, 1)
    return value


def summary_reference(summary: Mapping[str, Any]) -> str:
    """Every scalar figure of summary.json under a plain name and unit (the JSON key in grey)."""
    rows = []
    for key, value in summary.items():
        if isinstance(value, (Mapping, list)) or key in ("start", "end"):
            continue
        name, unit = PLAIN_NAMES.get(key, (key.replace("_", " "), ""))
        rows.append(f'<tr><th>{html.escape(name)} <span class="key">{html.escape(key)}</span></th>{_td(value, unit)}</tr>')
    denied = summary.get("orders_denied") or {}
    denials = "".join(f"<tr><th>{html.escape(reason)}</th>{_td(count)}</tr>" for reason, count in denied.items())
    return ("<h2>Reference: every figure of summary.json</h2><table>" + "".join(rows) + "</table>"
            + (f"<h3>Entries refused, by reason (journal denials)</h3><table>{denials}</table>" if denials else ""))
