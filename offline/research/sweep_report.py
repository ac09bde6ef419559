"""sweep.html: the rows of a sweep (and of a walk-forward) as a self-contained HTML table."""
from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

from offline.research.sweep_spec import FIGURES, SweepSpec

PERCENT = frozenset({"total_return", "cagr", "max_drawdown", "win_rate", "test_total_return", "test_max_drawdown",
                     "fit_total_return", "fit_cagr"})
STYLE = ("body{font-family:sans-serif;margin:24px}table{border-collapse:collapse}"
         "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#eee}"
         "tr.best{background:#d9f2d9}tr.failed{background:#f7d4d4}.note{color:#555}")


def cell(key: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "<td>n/a</td>"
    if key in PERCENT:
        return f"<td>{value:.2%}</td>"
    if isinstance(value, float):
        return f"<td>{value:.2f}</td>"
    return f"<td>{html.escape(str(value))}</td>"


def table(columns: list[str], rows: list[dict[str, Any]], css: list[str]) -> str:
    head = "<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in columns) + "</tr>"
    body = "".join(f'<tr class="{c}">' + "".join(cell(k, row.get(k)) for k in columns) + "</tr>"
                   for row, c in zip(rows, css, strict=True))
    return f"<table>{head}{body}</table>"


def _best(rows: list[dict[str, Any]], metric: str) -> int | None:
    scored = [(row[metric], i) for i, row in enumerate(rows)
              if row["status"] == "ok" and isinstance(row.get(metric), (int, float)) and math.isfinite(row[metric])]
    return max(scored)[1] if scored else None


def write_sweep_html(path: Path, spec: SweepSpec, rows: list[dict[str, Any]],
                     walk_forward: list[dict[str, Any]] | None = None) -> None:
    """Write the sweep table (best Sharpe row highlighted, failures marked), plus the walk-forward
    table when given."""
    names = list(spec.grid)
    flat = [{**row["params"], **row} for row in rows]
    best = _best(rows, "sharpe")
    css = ["best" if i == best else ("failed" if row["status"] != "ok" else "") for i, row in enumerate(rows)]
    parts = ["<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Parameter sweep</title>",
             f"<style>{STYLE}</style></head><body><h1>Parameter sweep</h1>",
             (f'<p class="note">{html.escape(spec.start)} .. {html.escape(spec.end)}, cash {html.escape(spec.cash)}, '
             f"data {html.escape(spec.data_dir)}. Option prices are modelled, not real quotes. "
             "Highlighted: the best Sharpe ratio.</p>"),
             table(["id", *names, *FIGURES, "status", "error"], flat, css)]
    if walk_forward:
        columns = list(walk_forward[0])
        parts += ["<h2>Walk-forward</h2>", ('<p class="note">Each fit window picks the best combination by the '
                  "metric; the next window reports it out of sample.</p>"),
                  table(columns, walk_forward, [""] * len(walk_forward))]
    parts.append("</body></html>\n")
    path.write_text("\n".join(parts), encoding="utf-8")
