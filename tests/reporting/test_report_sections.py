"""The report's sections over time: returns table, drawdown table, data issues, the
charts of the daily record and the P&L histogram; the page stays well-formed and self-contained."""
from __future__ import annotations

from datetime import date, timedelta
from html.parser import HTMLParser

import pytest

from offline.report.sections import (
    daily_charts,
    data_issues_section,
    drawdown_table,
    image_block,
    pnl_histogram,
    returns_table,
)

DAYS = [date(2024, 1, 2) + timedelta(days=i) for i in range(70)]


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.links += [v for k, v in attrs if k in ("src", "href") and v and not v.startswith("data:")]
        if tag not in ("img", "br", "meta"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack.pop() == tag


def _well_formed(fragment: str) -> None:
    checker = _Checker()
    checker.feed(fragment)
    assert checker.stack == [] and checker.links == []


def test_returns_table_has_a_row_per_year_with_the_month_returns():
    equity = [100.0 * (1.01 if d.month == 2 else 1.0) for d in DAYS]  # +1% on entering February
    text = returns_table(DAYS, equity)
    assert text.count("<tr>") == 2  # header and 2024
    assert "+1.00%" in text and 'class="num pos"' in text
    _well_formed(text)


def test_drawdown_table_lists_not_recovered_periods():
    equity = [100.0] * 10 + [95.0] * 60
    text = drawdown_table(DAYS[:70], equity)
    assert "not recovered" in text and "-5.00%" in text
    assert "No drawdown" in drawdown_table(DAYS[:3], [1.0, 2.0, 3.0])
    _well_formed(text)


def test_data_issues_are_listed_or_none():
    assert "None" in data_issues_section({})
    text = data_issues_section({"data_issues": [{"file": "daily/VIX_cboe.csv", "line": 12, "date": "2024-05-03",
                                                 "problem": "VIX 2.58 outside [5, 150] <bad>"}]})
    assert "daily/VIX_cboe.csv" in text and "&lt;bad&gt;" in text and "Data issues (1)" in text
    _well_formed(text)


def test_daily_charts_embed_four_images_and_a_histogram():
    daily = [{"date": d.isoformat(), "net_liquidation": 30_000.0, "margin_used": 1_000.0 + i, "phase": 1,
              "phase_cap": 15_000.0, "regime": "LOW", "regime_cap": 18_000.0, "delta_spy": -40.0, "theta": 3.0,
              "vega": -20.0, "pnl:lt112": float(i), **({"margin:A2": 500.0} if i > 10 else {})}
             for i, d in enumerate(DAYS)]
    charts = daily_charts(daily)
    assert len(charts) == 4 and "phase and regime caps" in charts[1][0]
    text = "\n".join(image_block(title, function(*args)) for title, function, args in charts)
    assert text.count('<img alt="') == 4
    _well_formed(text)
    assert daily_charts([]) == []
    title, function, args = pnl_histogram([{"pnl": 10.0}, {"pnl": -5.0}])
    assert title == "Trade P&L distribution" and function(*args).startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(ValueError):
        from offline.report.charts import lines_png
        lines_png(DAYS, {"x": [1.0]}, "t", "y")
