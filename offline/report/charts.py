"""The report's charts over the daily record and the trades (PNG bytes, see offline/report/equity_chart.py
for the figure style): lines, stacked areas and a histogram."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from offline.report.equity_chart import render_figure
from reporting.statistics import as_dates

COLORS = ("#1f4e79", "#c0392b", "#2e7d32", "#8e44ad", "#d35400", "#16a085", "#7f8c8d", "#b7950b")
LINE_STYLES = ("-", "--", ":", "-.")  # with COLORS: a distinct colour and style for up to 32 lines


def line_style(index: int) -> tuple[str, str]:
    """(colour, line style) of the index-th line: every colour solid first, then dashed, dotted..."""
    return COLORS[index % len(COLORS)], LINE_STYLES[(index // len(COLORS)) % len(LINE_STYLES)]


def _checked_dates(dates: Iterable[Any], series: Mapping[str, Sequence[float]]) -> list[Any]:
    days = as_dates(dates)
    for label, values in series.items():
        if len(values) != len(days):
            raise ValueError(f"series {label!r} has {len(values)} values for {len(days)} dates")
    return days


def lines_png(dates: Iterable[Any], series: Mapping[str, Sequence[float]], title: str, ylabel: str,
              dashed: frozenset[str] = frozenset(), style_index: Mapping[str, int] | None = None) -> bytes:
    """One line per series (label -> one value per date), each with its own colour and line style
    (`line_style` of its position, or of `style_index[label]` so a label keeps its look from chart
    to chart); labels in `dashed` are drawn dashed.

    Raises ValueError when a series does not have one value per date."""
    days = _checked_dates(dates, series)

    def draw(figure: Any) -> None:
        axes = figure.add_subplot()
        for index, (label, values) in enumerate(series.items()):
            color, style = line_style(style_index[label] if style_index else index)
            axes.plot(days, values, label=label, linewidth=1.3, color=color, linestyle="--" if label in dashed else style)
        axes.axhline(0.0, color="#555555", linewidth=0.6)
        axes.set_title(title)
        axes.set_ylabel(ylabel)
        if series:
            axes.legend(loc="upper left", fontsize=8)

    return render_figure(draw)


def stacked_area_png(dates: Iterable[Any], series: Mapping[str, Sequence[float]], title: str, ylabel: str) -> bytes:
    """Stacked areas (label -> one non-negative value per date). Raises ValueError like lines_png."""
    days = _checked_dates(dates, series)

    def draw(figure: Any) -> None:
        axes = figure.add_subplot()
        if series:
            axes.stackplot(days, *series.values(), labels=list(series),
                           colors=[COLORS[i % len(COLORS)] for i in range(len(series))], alpha=0.75)
            axes.legend(loc="upper left", fontsize=8)
        axes.set_title(title)
        axes.set_ylabel(ylabel)

    return render_figure(draw)


def histogram_png(values: Sequence[float], title: str, xlabel: str, bins: int = 20) -> bytes:
    """Histogram of `values` (a note instead when there are none)."""
    def draw(figure: Any) -> None:
        axes = figure.add_subplot()
        if not values:
            axes.text(0.5, 0.5, "No closed trades", ha="center", va="center", transform=axes.transAxes)
            axes.set_axis_off()
        else:
            axes.hist(values, bins=bins, color="#1f4e79", edgecolor="white")
            axes.axvline(0.0, color="#c0392b", linewidth=0.9)
            axes.set_xlabel(xlabel)
            axes.set_ylabel("trades")
        axes.set_title(title)

    return render_figure(draw)
