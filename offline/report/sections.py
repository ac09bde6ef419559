"""The report's sections over time: returns per month and year,
drawdown periods, data issues, and the charts of the daily record (per-strategy P&L, buying power
against the phase and regime caps, portfolio Greeks, exposure by correlation group) and of the
trades (P&L distribution). Tables are HTML fragments (text escaped); charts are `Chart` items, drawn
by the report (offline/report/html.py) and shown with `image_block`."""
from __future__ import annotations

import base64
import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from offline.report.charts import histogram_png, lines_png, stacked_area_png
from reporting.period_statistics import drawdown_periods, monthly_returns

Chart = tuple[str, Callable[..., bytes], tuple[Any, ...]]  # (title, chart function -> PNG bytes, its arguments)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def image_block(title: str, png: bytes) -> str:
    encoded = base64.b64encode(png).decode("ascii")
    return f'<h2>{html.escape(title)}</h2>\n<img alt="{html.escape(title)}" src="data:image/png;base64,{encoded}">'


def _percent_cell(value: float | None) -> str:
    if value is None:
        return "<td></td>"
    css = "pos" if value > 0 else ("neg" if value < 0 else "")
    return f'<td class="num {css}">{value * 100:+.2f}%</td>'


def returns_table(dates: Sequence[Any], equity: Sequence[float]) -> str:
    """Monthly and yearly returns: one row per year, a column per month and the year."""
    if not dates:
        return "<h2>Monthly and yearly returns</h2><p>No sessions.</p>"
    table = monthly_returns(dates, equity)
    head = "<tr><th>year</th>" + "".join(f"<th>{m}</th>" for m in MONTHS) + "<th>year</th></tr>"
    rows = "".join(f"<tr><th>{year}</th>" + "".join(_percent_cell(months.get(str(m))) for m in range(1, 13))
                   + _percent_cell(months["year"]) + "</tr>" for year, months in sorted(table.items()))
    return f'<h2>Monthly and yearly returns</h2><table class="returns">{head}{rows}</table>'


def drawdown_table(dates: Sequence[Any], equity: Sequence[float], top: int = 5) -> str:
    """The deepest drawdown periods: start (peak), trough, recovery, depth and length."""
    periods = drawdown_periods(dates, equity, top) if dates else []
    if not periods:
        return "<h2>Drawdown periods</h2><p>No drawdown.</p>"
    head = "<tr><th>start (peak)</th><th>trough</th><th>recovery</th><th>depth</th><th>days</th></tr>"
    rows = "".join(f"<tr><td>{p['start']}</td><td>{p['trough']}</td><td>{p['recovery'] or 'not recovered'}</td>"
                   f"{_percent_cell(p['depth'])}<td class=\"num\">{p['days']}</td></tr>" for p in periods)
    return f"<h2>Drawdown periods (deepest {len(periods)})</h2><table>{head}{rows}</table>"


def data_issues_section(summary: Mapping[str, Any]) -> str:
    """The market-data problems the run met (summary["data_issues"]: file, line, date, problem)."""
    issues = summary.get("data_issues") or []
    if not issues:
        return "<h2>Data issues</h2><p>None: every value the run read passed the checks.</p>"
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(issue.get(k, '')))}</td>"
                                    for k in ("file", "line", "date", "problem")) + "</tr>" for issue in issues)
    return (f"<h2>Data issues ({len(issues)})</h2><table><tr><th>file</th><th>line</th><th>date</th>"
            f"<th>problem</th></tr>{rows}</table>")


def _columns(daily: Sequence[Mapping[str, Any]], prefix: str) -> dict[str, list[float]]:
    names = sorted({key for row in daily for key in row if key.startswith(prefix)})
    return {name[len(prefix):]: [float(row.get(name, 0.0)) for row in daily] for name in names}


def daily_charts(daily: Sequence[Mapping[str, Any]]) -> list[Chart]:
    """Charts over the daily record (offline/replay/daily_record.py rows)."""
    if not daily:
        return []
    dates = [row["date"] for row in daily]
    column = {key: [float(row[key]) for row in daily]
              for key in ("margin_used", "phase_cap", "regime_cap", "delta_spy", "theta", "vega")}
    greeks = {"beta-weighted dollar delta (USD per 1% SPY)": column["delta_spy"],
              "theta (USD per day)": column["theta"], "vega (USD per vol point)": column["vega"]}
    strategies = _columns(daily, "pnl:")
    traded = {name: values for name, values in strategies.items() if any(values)}
    pnl_title = (f"P&L per strategy over time (closed trades + open positions at mid, USD; the "
                 f"{len(strategies) - len(traded)} strategies that never held a position are left out)")
    return [
        (pnl_title, lines_png, (dates, traded, "Cumulative P&L per strategy", "USD", frozenset(),
                                {name: index for index, name in enumerate(strategies)})),
        ("Buying power used against the phase and regime caps",
         lines_png, (dates, {"buying power used": column["margin_used"], "phase cap": column["phase_cap"],
                             "regime cap": column["regime_cap"]}, "Buying power (USD)", "USD",
                     frozenset({"phase cap", "regime cap"}))),
        ("Portfolio Greeks at each close (modelled implied volatilities)",
         lines_png, (dates, greeks, "Portfolio Greeks", "USD")),
        ("Exposure by correlation group (estimated margin of open positions)",
         stacked_area_png, (dates, _columns(daily, "margin:"), "Margin by correlation group", "USD")),
    ]


def pnl_histogram(trades: Sequence[Mapping[str, Any]]) -> Chart:
    """Distribution of the closed trades' P&L."""
    values = [float(trade["pnl"]) for trade in trades]
    return "Trade P&L distribution", histogram_png, (values, "Closed trades by P&L", "P&L per trade (USD)")
