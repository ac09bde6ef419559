"""The offline engine's self-contained HTML report (SPEC section 10).

One file, no external scripts, style sheets, fonts or links: the charts are PNG images from
offline/report/equity_chart.py embedded as base64 data URIs, the style sheet is inline, every piece of text
is escaped with html.escape and the file is written as ASCII (other characters become character
references). The page carries two banners: that option prices are modelled, not real quotes, and
whether the market data was real or a synthetic sample (from summary["data"]["source"]). Nothing in
the page depends on the wall clock, so identical inputs give identical bytes.
"""
from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from offline.report.equity_chart import drawdown_png, equity_png, strategy_pnl_png, vix_regime_png
from offline.report.overview import (
    run_section,
    strategy_table,
    summary_reference,
    trades_section,
    verdict_section,
    warnings_section,
)
from offline.report.sections import (
    Chart,
    daily_charts,
    data_issues_section,
    drawdown_table,
    image_block,
    pnl_histogram,
    returns_table,
)
from offline.report.workers import later
from reporting.statistics import drawdown_series
from reporting.trade_log import check_trade_rows

MODELLED_PRICES_BANNER = ("Option prices in this report are modelled (Black-Scholes on a VIX-derived "
                          "volatility surface), not real quotes")
DATA_SOURCE_BANNERS = {"real": "Market data: real", "synthetic": "SYNTHETIC sample market"}

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
td.num { text-align: right; font-family: monospace; white-space: nowrap; }
.warning { background: #fde2c8; border: 2px solid #d35400; font-weight: normal; }
table.verdict { font-size: 14px; } table.verdict td, table.verdict th { padding: 5px 10px; }
.scroll { max-height: 560px; overflow: auto; border: 1px solid #ccc; display: inline-block; }
table.compact td, table.compact th { padding: 1px 5px; font-size: 11px; }
table.compact th { position: sticky; top: 0; }
span.key { color: #888; font-weight: normal; font-family: monospace; }
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


def start_html_report(summary: Mapping[str, Any], equity: tuple[Iterable[Any], Iterable[float]],
                      drawdown: Iterable[float] | None, vix: tuple[Iterable[Any], Iterable[float]],
                      regimes: Sequence[Any], trades: Sequence[Mapping[str, Any]],
                      strategy_pnl: Mapping[str, float],
                      baselines: Mapping[str, Iterable[float]] | None = None,
                      title: str = "Tom King framework: offline backtest",
                      daily: Sequence[Mapping[str, Any]] = (),
                      open_positions: Sequence[Mapping[str, Any]] = (), pool: ProcessPoolExecutor | None = None
                      ) -> Callable[[], str]:
    """Start the report: its charts are drawn in `pool`'s workers while the caller goes on (here and now
    when `pool` is None); calling what is returned waits for them and gives the report as HTML text.

    Args:
        summary: statistics (reporting.statistics.summarize, plus anything else to show); must hold
            data.source = "real" or "synthetic".
        equity: (dates, equity in USD), one point per session.
        drawdown: drawdown fractions (<= 0) on the equity dates, or None to compute them.
        vix: (dates, VIX closes); regimes: the VIX regime of each of those dates.
        trades: trade-log rows (reporting.trade_log.trade_row).
        strategy_pnl: strategy -> P&L in USD, drawn as bars in this order.
        baselines: label -> equity in USD on the equity dates (e.g. SPY buy and hold).
        title: page heading.
        daily: the daily record (offline/replay/daily_record.py rows) for the charts over time.
        open_positions: the positions open at the end ({strategy, opened, legs, entry_cash}).
        pool: worker processes that draw the charts (offline/report/workers.py), or None.

    Raises:
        ValueError: no valid data source in the summary, mismatched or invalid series, bad trade rows
        (a chart's error when the text is asked for, if drawn in `pool`).
    """
    source_class, source_text = data_source_banner(summary)
    equity_dates, equity_values = list(equity[0]), [float(value) for value in equity[1]]
    drawdown_values = drawdown_series(equity_values) if drawdown is None else list(drawdown)
    vix_dates, vix_values = list(vix[0]), list(vix[1])
    parts: list[str | Chart] = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<div class="banner modelled">{html.escape(MODELLED_PRICES_BANNER)}</div>',
        f'<div class="banner {source_class}">{html.escape(source_text)}</div>',
        warnings_section(summary),
        verdict_section(summary, daily),
        ("Equity against the baselines", equity_png, (equity_dates, equity_values, baselines)),
        strategy_table(summary),
        ("P&L per strategy (closed trades, after fees)", strategy_pnl_png, (strategy_pnl,)),
        run_section(summary),
        returns_table(equity_dates, equity_values),
        ("Drawdown", drawdown_png, (equity_dates, drawdown_values)),
        drawdown_table(equity_dates, equity_values),
        ("VIX with regime bands", vix_regime_png, (vix_dates, vix_values, regimes)),
        *daily_charts(daily),
        pnl_histogram(trades),
        data_issues_section(summary),
        trades_section(check_trade_rows(trades), open_positions),
        summary_reference(summary),
        "</body>\n</html>\n",
    ]
    pending = [later(pool, part[1], part[2]) for part in parts if isinstance(part, tuple)]

    def finish() -> str:
        pngs = iter([value() for value in pending])
        return "\n".join(part if isinstance(part, str) else image_block(part[0], next(pngs)) for part in parts)

    return finish


def render_html_report(*args: Any, **kwargs: Any) -> str:
    """The report as HTML text, its charts drawn here (arguments and errors as `start_html_report`)."""
    return start_html_report(*args, **kwargs)()


def write_html_report(path: str | Path, report: Callable[[], str]) -> Path:
    """Write the self-contained HTML report, `report()` (`start_html_report`'s result; it waits for the
    charts), as ASCII; returns the path written. Raises OSError when the file cannot be written."""
    target = Path(path)
    target.write_bytes(report().encode("ascii", "xmlcharrefreplace"))
    return target
