"""The offline engine's self-contained HTML report (SPEC section 10).

One file, no external scripts, style sheets, fonts or links: the charts are PNG images from
offline/equity_chart.py embedded as base64 data URIs, the style sheet is inline, every piece of text
is escaped with html.escape and the file is written as ASCII (other characters become character
references). The page carries two banners: that option prices are modelled, not real quotes, and
whether the market data was real or a synthetic sample (from summary["data"]["source"]). Nothing in
the page depends on the wall clock, so identical inputs give identical bytes.
"""
from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from offline.equity_chart import drawdown_png, equity_png, strategy_pnl_png, vix_regime_png
from offline.report_sections import (
    daily_charts,
    data_issues_section,
    drawdown_table,
    image_block,
    pnl_histogram,
    pnl_sources_section,
    returns_table,
)
from reporting.statistics import drawdown_series
from reporting.trade_log import TRADE_COLUMNS, check_trade_rows

MODELLED_PRICES_BANNER = ("Option prices in this report are modelled (Black-Scholes on a VIX-derived "
                          "volatility surface), not real quotes")
DATA_SOURCE_BANNERS = {"real": "Market data: real", "synthetic": "SYNTHETIC sample market"}
PERCENT_KEYS = frozenset({"total_return", "cagr", "volatility", "max_drawdown", "win_rate"})

_STYLE = """
body { font-family: sans-serif; margin: 24px; color: #222; background: #fff; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; } h3 { font-size: 15px; }
.banner { padding: 10px 14px; margin: 8px 0; font-weight: bold; border-radius: 4px; }
.modelled { background: #fff3cd; border: 1px solid #d39e00; }
.real { background: #d4edda; border: 1px solid #28a745; }
.synthetic { background: #f8d7da; border: 2px solid #c82333; font-size: 18px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 12px; }
th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: left; }
th { background: #f2f2f2; }
td.num { text-align: right; font-family: monospace; }
.pos { color: #1b5e20; } .neg { color: #b71c1c; }
img { max-width: 100%; border: 1px solid #ddd; }
"""


def data_source_banner(summary: Mapping[str, Any]) -> tuple[str, str]:
    """(css class, banner text) for summary["data"]["source"], "real" or "synthetic" (any case).

    Raises:
        ValueError: the summary has no data source, or it is neither value.
    """
    data = summary.get("data")
    source = data.get("source") if isinstance(data, Mapping) else None
    key = source.strip().lower() if isinstance(source, str) else None
    if key not in DATA_SOURCE_BANNERS:
        raise ValueError(f"summary['data']['source'] must be 'real' or 'synthetic', got {source!r}")
    return key, DATA_SOURCE_BANNERS[key]


def format_value(key: str, value: Any) -> str:
    """Display text (not yet escaped) of one value: None -> "n/a", fractions under PERCENT_KEYS as
    percent, other floats with 2 decimals and thousands separators, lists joined by commas."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,d}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value * 100.0:.2f}%" if key in PERCENT_KEYS else f"{value:,.2f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(key, item) for item in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{name}: {format_value(str(name), item)}" for name, item in value.items())
    return str(value)


def _cell(key: str, value: Any, header: bool = False) -> str:
    text = html.escape(format_value(key, value))
    if header:
        return f"<th>{text}</th>"
    classes = []
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        classes.append("num")
        if key in ("pnl", "gross_pnl"):
            classes.append("pos" if value > 0 else "neg" if value < 0 else "")
    class_text = " ".join(name for name in classes if name)
    return f'<td class="{class_text}">{text}</td>' if class_text else f"<td>{text}</td>"


def mapping_table(mapping: Mapping[str, Any]) -> str:
    """An HTML table of a mapping: a key/value table, or, when every value is itself a mapping, a
    matrix with one row per key and one column per inner key (in first-seen order)."""
    values = list(mapping.values())
    if values and all(isinstance(value, Mapping) for value in values):
        columns: list[str] = []
        for value in values:
            columns.extend(str(key) for key in value if str(key) not in columns)
        head = "<tr><th></th>" + "".join(_cell("", column, header=True) for column in columns) + "</tr>"
        body = "".join("<tr>" + _cell("", name, header=True)
                       + "".join(_cell(column, inner.get(column)) for column in columns) + "</tr>"
                       for name, inner in mapping.items())
        return f"<table>{head}{body}</table>"
    rows = "".join(f"<tr>{_cell('', key, header=True)}{_cell(str(key), value)}</tr>"
                   for key, value in mapping.items())
    return f"<table>{rows}</table>"


def summary_section(summary: Mapping[str, Any]) -> str:
    """The summary: scalar figures in one table, then one titled table per nested mapping."""
    scalars = {key: value for key, value in summary.items() if not isinstance(value, Mapping)}
    parts = ["<h2>Summary</h2>", mapping_table(scalars)]
    for key, value in summary.items():
        if isinstance(value, Mapping) and value:
            parts.append(f"<h3>{html.escape(str(key).replace('_', ' '))}</h3>{mapping_table(value)}")
    return "\n".join(parts)


def trade_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """The trade log as an HTML table with the TRADE_COLUMNS header, one row per trade.

    Raises:
        ValueError: a row does not have exactly the TRADE_COLUMNS keys.
    """
    checked = check_trade_rows(rows)
    if not checked:
        return "<p>No closed trades.</p>"
    head = "<tr>" + "".join(_cell("", column, header=True) for column in TRADE_COLUMNS) + "</tr>"
    body = "\n".join("<tr>" + "".join(_cell(column, row[column]) for column in TRADE_COLUMNS) + "</tr>"
                     for row in checked)
    return f'<table class="trades">{head}\n{body}</table>'


def render_html_report(summary: Mapping[str, Any], equity: tuple[Iterable[Any], Iterable[float]],
                       drawdown: Iterable[float] | None, vix: tuple[Iterable[Any], Iterable[float]],
                       regimes: Sequence[Any], trades: Sequence[Mapping[str, Any]],
                       strategy_pnl: Mapping[str, float],
                       baselines: Mapping[str, Iterable[float]] | None = None,
                       title: str = "Tom King framework: offline backtest",
                       daily: Sequence[Mapping[str, Any]] = ()) -> str:
    """The report as HTML text (see `write_html_report` for the arguments).

    Raises:
        ValueError: no valid data source in the summary, mismatched or invalid series, bad trade rows.
    """
    source_class, source_text = data_source_banner(summary)
    equity_dates, equity_values = list(equity[0]), [float(value) for value in equity[1]]
    drawdown_values = drawdown_series(equity_values) if drawdown is None else list(drawdown)
    vix_dates, vix_values = list(vix[0]), list(vix[1])
    parts = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<div class="banner modelled">{html.escape(MODELLED_PRICES_BANNER)}</div>',
        f'<div class="banner {source_class}">{html.escape(source_text)}</div>',
        pnl_sources_section(summary),
        summary_section(summary),
        image_block("Equity", equity_png(equity_dates, equity_values, baselines)),
        returns_table(equity_dates, equity_values),
        image_block("Drawdown", drawdown_png(equity_dates, drawdown_values)),
        drawdown_table(equity_dates, equity_values),
        image_block("VIX with regime bands", vix_regime_png(vix_dates, vix_values, regimes)),
        image_block("P&L per strategy", strategy_pnl_png(strategy_pnl)),
        daily_charts(daily),
        pnl_histogram(trades),
        data_issues_section(summary),
        "<h2>Trades</h2>", trade_table(trades),
        "</body>\n</html>\n",
    ]
    return "\n".join(parts)


def write_html_report(path: str | Path, summary: Mapping[str, Any],
                      equity: tuple[Iterable[Any], Iterable[float]], drawdown: Iterable[float] | None,
                      vix: tuple[Iterable[Any], Iterable[float]], regimes: Sequence[Any],
                      trades: Sequence[Mapping[str, Any]], strategy_pnl: Mapping[str, float],
                      baselines: Mapping[str, Iterable[float]] | None = None,
                      title: str = "Tom King framework: offline backtest",
                      daily: Sequence[Mapping[str, Any]] = ()) -> Path:
    """Write the self-contained HTML report; returns the path written.

    Args:
        path: the .html file to write.
        summary: statistics (reporting.statistics.summarize, plus anything else to show); must hold
            data.source = "real" or "synthetic".
        equity: (dates, equity in USD), one point per session.
        drawdown: drawdown fractions (<= 0) on the equity dates, or None to compute them.
        vix: (dates, VIX closes); regimes: the VIX regime of each of those dates.
        trades: trade-log rows (reporting.trade_log.trade_row).
        strategy_pnl: strategy -> P&L in USD, drawn as bars in this order.
        baselines: label -> equity in USD on the equity dates (e.g. SPY buy and hold).
        title: page heading.
        daily: the daily record (offline/daily_record.py rows) for the charts over time.

    Raises:
        ValueError: as `render_html_report`.
        OSError: the file cannot be written.
    """
    text = render_html_report(summary, equity, drawdown, vix, regimes, trades, strategy_pnl, baselines, title,
                              daily)
    target = Path(path)
    target.write_bytes(text.encode("ascii", "xmlcharrefreplace"))
    return target
