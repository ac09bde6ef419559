"""The self-contained HTML report and the PNG charts: banners, tables, no external links, determinism."""
from __future__ import annotations

import base64
import re
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest

from config.constants import Regime
from core.types import Contract, ContractKind, Leg
from offline.report.equity_chart import equity_png, regime_runs, vix_regime_png
from offline.report.html import (
    MODELLED_PRICES_BANNER,
    render_html_report,
    start_html_report,
    write_html_report,
)
from reporting.statistics import summarize
from reporting.trade_log import trade_row

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EASTERN = timezone(timedelta(hours=-4))
DATES = [date(2024, 7, 1) + timedelta(days=i) for i in range(60)]
EQUITY = list(30_000.0 * np.cumprod(1.0 + 0.004 * np.sin(np.arange(60) / 3.0)))
VIX = [14.0 + 30.0 * np.exp(-((i - 35) / 4.0) ** 2) for i in range(60)]
REGIMES = ["LOW" if v < 16 else "NORMAL" if v < 20 else "ELEVATED" if v < 25 else "VOLATILE" if v < 30
           else "HIGH" if v < 35 else "EXTREME" for v in VIX]


def _trades() -> list[dict]:
    expiry = date(2024, 8, 16)
    legs = (Leg(Contract("SPY", ContractKind.OPTION, expiry, 500.0, "put"), -1),
            Leg(Contract("SPY", ContractKind.OPTION, expiry, 495.0, "put"), 1))
    opened = datetime(2024, 7, 2, 10, 0, tzinfo=EASTERN)
    return [trade_row(strategy="lt112", position_id=f"lt112-{n:04d}", legs=legs, quantity=1,
                      entry_time=opened + timedelta(days=7 * n), exit_time=opened + timedelta(days=7 * n + 3),
                      entry_price=-1.1, exit_price=-0.5, gross_pnl=pnl, fees=2.62, regime="NORMAL", phase=1,
                      exit_reason=reason)
            for n, (pnl, reason) in enumerate([(60.0, "profit_target"), (-220.0, "stop <2x> & caf\u00e9")])]


def _inputs(source: str = "real", trades: list[dict] | None = None) -> dict:
    trades = _trades() if trades is None else trades
    summary = summarize(DATES, EQUITY, trades, regimes=REGIMES)
    summary["data"] = {"source": source, "period": "2024-07-01..2024-08-29"}
    return {"summary": summary, "equity": (DATES, EQUITY), "drawdown": None, "vix": (DATES, VIX),
            "regimes": REGIMES, "trades": trades, "strategy_pnl": {"lt112": -165.24, "zero_dte": 0.0},
            "baselines": {"SPY buy and hold": [v * 1.001 for v in EQUITY]}}


def _without_images(text: str) -> str:
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:IMAGE", text)


def test_report_has_both_banners_and_the_summary() -> None:
    text = render_html_report(**_inputs())
    assert MODELLED_PRICES_BANNER in text
    assert "Black-Scholes on a VIX-derived volatility surface" in text
    assert "Market data: real" in text and "SYNTHETIC" not in text
    verdict = text.index("<h2>Verdict</h2>")
    assert verdict < text.index("<h2>Equity against the baselines</h2>") < text.index("<h2>Closed trades (2)")
    assert text.index("<h2>Closed trades (2)") < text.index("<h2>Reference: every figure of summary.json</h2>")
    assert '<th>maximum drawdown <span class="key">max_drawdown</span></th>' in text
    assert "<th>per_strategy</th>" not in text and "<h2>Per strategy (closed trades)</h2>" in text


def test_synthetic_banner_and_bad_sources() -> None:
    inputs = _inputs(source="SYNTHETIC")
    text = render_html_report(**inputs)
    assert "SYNTHETIC sample market" in text and "Market data: real" not in text
    inputs["summary"]["data"]["source"] = "mixed"
    with pytest.raises(ValueError, match="real' or 'synthetic"):
        render_html_report(**inputs)
    del inputs["summary"]["data"]
    with pytest.raises(ValueError, match="source"):
        render_html_report(**inputs)


def test_trade_table_rows_and_escaping() -> None:
    text = render_html_report(**_inputs())
    table = text[text.index('<div class="scroll"><table class="trades compact">'):]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == 3  # header + 2 trades
    assert "<td>2024-07-02 10:00</td><td>2024-07-05 10:00</td>" in table  # times to the minute
    assert "-1 SPY 2024-08-16 P 500 | +1 SPY 2024-08-16 P 495" in table
    assert "stop &lt;2x&gt; &amp; caf\u00e9" in table  # escaped, the accent still text until written
    assert '<td class="num neg">-$222.62</td>' in table and '<td class="num">-1.10</td>' in table
    assert "<h2>Positions open at the end (0)</h2>" in text


def test_no_external_resources_and_no_script(tmp_path) -> None:
    inputs = _inputs()
    inputs["trades"][0]["exit_reason"] = "<script>alert(1)</script> http://evil.example"
    path = write_html_report(tmp_path / "report.html", start_html_report(**inputs))
    text = path.read_bytes().decode("ascii")  # the file is pure ASCII
    lowered = _without_images(text).lower()
    assert "<script" not in lowered and "<link" not in lowered and "@import" not in lowered
    assert "url(" not in lowered and "<iframe" not in lowered
    assert 'src="http' not in lowered and 'href="' not in lowered
    assert "http" not in lowered.replace("http://evil.example", "")
    assert "&lt;script&gt;" in text
    assert "caf&#233;" in text  # non-ASCII as a character reference
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(images) == 5
    assert all(base64.b64decode(image).startswith(PNG_SIGNATURE) for image in images)


def test_identical_inputs_give_identical_html_bytes(tmp_path) -> None:
    first = write_html_report(tmp_path / "a.html", start_html_report(**_inputs())).read_bytes()
    second = write_html_report(tmp_path / "b.html", start_html_report(**_inputs())).read_bytes()
    assert first == second
    changed = _inputs()
    changed["strategy_pnl"] = {"lt112": -165.0, "zero_dte": 0.0}
    assert write_html_report(tmp_path / "c.html", start_html_report(**changed)).read_bytes() != first


def test_report_without_trades() -> None:
    inputs = _inputs(trades=[])
    inputs["strategy_pnl"] = {}
    text = render_html_report(**inputs)
    assert "No closed trades." in text and 'class="trades' not in text


def test_mismatched_series_are_refused() -> None:
    inputs = _inputs()
    inputs["regimes"] = REGIMES[:-1]
    with pytest.raises(ValueError, match="regimes has 59 items but there are 60 dates"):
        render_html_report(**inputs)
    inputs = _inputs()
    inputs["baselines"] = {"SPY": EQUITY[:10]}
    with pytest.raises(ValueError, match="baseline 'SPY' has 10 values"):
        render_html_report(**inputs)


def test_png_is_deterministic_without_software_tag() -> None:
    baseline = [v * 0.99 for v in EQUITY]
    first = equity_png(DATES, EQUITY, {"Buy and hold": baseline}, title="Equity $30k")
    second = equity_png(DATES, EQUITY, {"Buy and hold": baseline}, title="Equity $30k")
    assert first.startswith(PNG_SIGNATURE)
    assert first == second
    assert b"Software" not in first and b"matplotlib" not in first
    assert equity_png(DATES, EQUITY) != first
    with pytest.raises(ValueError, match="baseline"):
        equity_png(DATES, EQUITY, {"Buy and hold": baseline[:5]})
    with pytest.raises(ValueError, match="equity\\[2\\]"):
        equity_png(DATES[:3], [1.0, 2.0, float("nan")])


def test_regime_runs_and_vix_chart() -> None:
    days = DATES[:5]
    runs = regime_runs(days, ["LOW", "LOW", Regime.HIGH, "HIGH", "LOW"])
    assert runs == [(days[0], days[2], "LOW"), (days[2], days[4], "HIGH"), (days[4], days[4] + timedelta(days=1),
                                                                            "LOW")]
    assert vix_regime_png(DATES, VIX, REGIMES).startswith(PNG_SIGNATURE)
    with pytest.raises(ValueError, match="regimes\\[0\\]"):
        regime_runs(days[:1], ["CALM"])
