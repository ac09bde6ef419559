"""PNG charts of a backtest (offline engine only): equity with baselines, drawdown, VIX with regime
bands and P&L per strategy.

matplotlib is imported lazily and drives its Agg canvas directly (no pyplot, no global backend
switch). Every chart is drawn under matplotlib's default style, with math-text parsing off (a "$"
in a label stays a dollar sign), and saved without the "Software" PNG tag, so identical inputs give
identical bytes on the same matplotlib version.
"""
from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from config.constants import Regime
from reporting.statistics import as_dates

REGIME_COLORS: dict[str, str] = {
    Regime.EXTREMELY_LOW.value: "#cfe2f3",
    Regime.LOW.value: "#d9ead3",
    Regime.NORMAL.value: "#eeeeee",
    Regime.ELEVATED.value: "#fff2cc",
    Regime.VOLATILE.value: "#fce5cd",
    Regime.HIGH.value: "#f4cccc",
    Regime.EXTREME.value: "#e06666",
}
BASELINE_COLORS = ("#e67e22", "#7f8c8d", "#8e44ad", "#16a085")
FIGURE_SIZE_INCHES = (10.0, 3.6)
FIGURE_DPI = 100


def _finite_series(values: Iterable[float], name: str, length: int) -> list[float]:
    series = [float(value) for value in values]
    if len(series) != length:
        raise ValueError(f"{name} has {len(series)} values but there are {length} dates")
    for index, value in enumerate(series):
        if not math.isfinite(value):
            raise ValueError(f"{name}[{index}] = {value} is not finite")
    return series


def render_figure(draw: Any) -> bytes:
    """Create a figure, let `draw(figure)` fill it, and return the PNG bytes."""
    from matplotlib import rc_context, style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with style.context("default"), rc_context({"text.parse_math": False, "axes.grid": True, "grid.alpha": 0.3}):
        figure = Figure(figsize=FIGURE_SIZE_INCHES, dpi=FIGURE_DPI)
        FigureCanvasAgg(figure)
        draw(figure)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=FIGURE_DPI, metadata={"Software": None})
    return buffer.getvalue()


def equity_png(dates: Iterable[Any], equity: Iterable[float],
               baselines: Mapping[str, Iterable[float]] | None = None, title: str = "Equity (USD)") -> bytes:
    """Equity curve, with each baseline (label -> values on the same dates) as a dashed line.

    Raises:
        ValueError: invalid dates, or a series that is not finite or not one value per date.
    """
    days = as_dates(dates)
    values = _finite_series(equity, "equity", len(days))
    lines = {label: _finite_series(series, f"baseline {label!r}", len(days))
             for label, series in (baselines or {}).items()}

    def draw(figure: Any) -> None:
        axes = figure.add_subplot()
        axes.plot(days, values, color="#1f4e79", linewidth=1.6, label="Strategy")
        for index, (label, series) in enumerate(lines.items()):
            axes.plot(days, series, linestyle="--", linewidth=1.1, label=str(label),
                      color=BASELINE_COLORS[index % len(BASELINE_COLORS)])
        axes.set_title(title)
        axes.set_ylabel("USD")
        if lines:
            axes.legend(loc="upper left")

    return render_figure(draw)


def drawdown_png(dates: Iterable[Any], drawdown: Iterable[float], title: str = "Drawdown (%)") -> bytes:
    """Drawdown (fractions <= 0, drawn in percent) as a filled area.

    Raises:
        ValueError: invalid dates, or drawdown values not finite or not one per date.
    """
    days = as_dates(dates)
    percent = [value * 100.0 for value in _finite_series(drawdown, "drawdown", len(days))]

    def draw(figure: Any) -> None:
        axes = figure.add_subplot()
        axes.fill_between(days, percent, 0.0, color="#c0392b", alpha=0.45, linewidth=0.0)
        axes.plot(days, percent, color="#922b21", linewidth=0.9)
        axes.set_title(title)
        axes.set_ylabel("% below peak")

    return render_figure(draw)


def regime_runs(dates: Sequence[date], regimes: Sequence[str | Regime]) -> list[tuple[date, date, str]]:
    """Contiguous runs of one regime as (start, end, regime); a run ends where the next begins, the
    last one a day after the last date.

    Raises:
        ValueError: lengths differ or an item is not a VIX regime.
    """
    if len(dates) != len(regimes):
        raise ValueError(f"regimes has {len(regimes)} items but there are {len(dates)} dates")
    runs: list[tuple[date, date, str]] = []
    for index, regime in enumerate(regimes):
        try:
            name = Regime(regime).value
        except ValueError:
            raise ValueError(f"regimes[{index}] = {regime!r} is not a VIX regime") from None
        if runs and runs[-1][2] == name:
            continue
        if runs:
            runs[-1] = (runs[-1][0], dates[index], runs[-1][2])
        runs.append((dates[index], dates[index], name))
    if runs:
        runs[-1] = (runs[-1][0], dates[-1] + timedelta(days=1), runs[-1][2])
    return runs


def vix_regime_png(dates: Iterable[Any], vix: Iterable[float], regimes: Sequence[str | Regime],
                   title: str = "VIX and regime") -> bytes:
    """VIX close line over background bands coloured by regime (legend lists the regimes seen).

    Raises:
        ValueError: invalid dates, VIX values not finite or not one per date, an unknown regime.
    """
    days = as_dates(dates)
    levels = _finite_series(vix, "vix", len(days))
    runs = regime_runs(days, list(regimes))

    def draw(figure: Any) -> None:
        from matplotlib.patches import Patch

        axes = figure.add_subplot()
        for start, end, name in runs:
            axes.axvspan(start, end, color=REGIME_COLORS[name], linewidth=0.0)
        axes.plot(days, levels, color="#222222", linewidth=1.0)
        seen = [regime.value for regime in Regime if any(run[2] == regime.value for run in runs)]
        axes.legend(handles=[Patch(color=REGIME_COLORS[name], label=name) for name in seen],
                    loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        axes.set_title(title)
        axes.set_ylabel("VIX")

    return render_figure(draw)


def strategy_pnl_png(strategy_pnl: Mapping[str, float], title: str = "P&L per strategy (USD)") -> bytes:
    """Horizontal bars of P&L per strategy (green gains, red losses), in the mapping's order.

    Raises:
        ValueError: a P&L value is not finite.
    """
    names = [str(name) for name in strategy_pnl]
    values = _finite_series(strategy_pnl.values(), "strategy_pnl", len(names))

    def draw(figure: Any) -> None:
        axes = figure.add_subplot()
        if not names:
            axes.text(0.5, 0.5, "No closed trades", ha="center", va="center", transform=axes.transAxes)
            axes.set_axis_off()
        else:
            colors = ["#2e7d32" if value >= 0 else "#c62828" for value in values]
            axes.barh(names, values, color=colors)
            axes.axvline(0.0, color="#555555", linewidth=0.8)
            axes.invert_yaxis()
        axes.set_title(title)

    return render_figure(draw)

