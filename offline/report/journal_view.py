"""`tomking journal OUT`: a run's journal.jsonl as one readable line per record, filtered by
strategy and kind (fills, exits, denials...)."""
from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# --kind choice -> journal record kind (reporting/journal.py JOURNAL_KINDS)
KIND_CHOICES = {"entries": "entry", "exits": "exit", "fills": "fill", "orders": "order", "denials": "denial",
                "info": "info", "regimes": "regime_change", "phases": "phase_change", "errors": "error",
                "adjustments": "adjustment", "assignments": "assignment", "data": "data_problem",
                "recoveries": "recovery"}


def read_journal(out_dir: str | Path) -> list[dict[str, Any]]:
    """The records of OUT/journal.jsonl. Raises ValueError when the file is missing or a line is not JSON."""
    path = Path(out_dir) / "journal.jsonl"
    if not path.is_file():
        raise ValueError(f"no journal.jsonl in {out_dir}: give the --out folder of a finished backtest")
    records = []
    for number, line in enumerate(path.read_text(encoding="ascii").splitlines(), 1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            raise ValueError(f"{path} line {number} is not a journal record") from None
    return records


def journal_lines(records: list[dict[str, Any]], strategy: str | None = None,
                  kind: str | None = None) -> Iterator[str]:
    """"YYYY-MM-DD HH:MM  strategy  kind  message" for each record that matches the filters (with
    the P&L in USD where the record has one).

    Raises ValueError for a strategy that has no record (naming the closest ones that have)."""
    if strategy is not None and not any(r.get("strategy") == strategy for r in records):
        known = sorted({str(r["strategy"]) for r in records if r.get("strategy")})
        close = difflib.get_close_matches(strategy, known, n=3)
        hint = f"did you mean {' or '.join(close)}?" if close else f"strategies in this journal: {', '.join(known)}"
        raise ValueError(f"--strategy {strategy!r} has no record in this journal; {hint}")
    wanted = KIND_CHOICES[kind] if kind else None
    for record in records:
        if strategy is not None and record.get("strategy") != strategy:
            continue
        if wanted is not None and record["kind"] != wanted:
            continue
        when = record["time"][:16].replace("T", " ")
        pnl = f" (P&L {record['pnl']:+,.2f} USD)" if isinstance(record.get("pnl"), (int, float)) else ""
        yield f"{when}  {record.get('strategy') or '-':<22} {record['kind']:<13} {record['message']}{pnl}"
