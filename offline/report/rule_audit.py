"""Audit of a backtest's outputs against the rules where the money changes hands (SPEC sections 5-6, 9).

`audit(out_dir, config)` reads trades.csv and journal.jsonl of one run (`audit_run` takes the trade
rows and journal records of a run in memory) and lists, per check, every fill, order or trade row
outside a rule:

* price_bound: an entry filled beyond a rule that bounds its price (a credit for the 0DTE condor,
  the LT112 1-1-2 and the spike-deployment spread; broken-wing butterfly credit at least `min_credit`, put ratio spread credit at least `min_credit`, jade lizard credit at least the
  call spread's width, box spread implied rate below `max_rate`), from the row's entry price;
* width: a wing or spread width other than the rule's (0DTE wings, spike-deployment and LT112
  spreads, broken-wing butterfly wings, weekly butterfly wings, box width, jade lizard call spread),
  beyond `order_width_tolerance`, from the row's legs;
* exit: an exit reason that is neither one of the strategy's declared exits, a system exit
  (strategies.base.SYSTEM_EXITS) nor a broker outcome (expiry, exercise, assignment, reconciliation);
* overnight: an order filled on a later session than the one it was sent in (journal);
* expiry_close: a close of a contract expiring that day sent after the expiry-day close start
  (core.engine.session_close.expiry_day_close_start), so that its ladder could not end by the deadline;
* ipmcc_time: an IPMCC short call sent other than on a Friday in its 09:45 window;
* pnl_row: a trade row whose legs and per-leg prices do not give its gross P&L (to the cent);
* ladder_expiry: a ladder rung that expired without its replacement naming it as left to expire.

Run: python -m offline.report.rule_audit OUT_DIR  (prints the counts and the first examples as JSON).
"""
from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from config.loader import FrameworkConfig, load_config
from core.engine.session_close import expiry_day_close_start
from core.types import Contract, ContractKind, contract_multiplier
from strategies.base import SYSTEM_EXITS
from strategies.box_spread import DAYS_PER_YEAR, implied_rate
from strategies.box_spread import SPEC as BOX_SPREAD_SPEC
from strategies.broken_wing_butterfly import SPEC as BROKEN_WING_BUTTERFLY_SPEC
from strategies.friday_0dte import SPEC as FRIDAY_0DTE_SPEC
from strategies.friday_0dte import wing_points
from strategies.jade_lizard import SPEC as JADE_LIZARD_SPEC
from strategies.leap_put_ladder import SPEC as LEAP_PUT_LADDER_SPEC
from strategies.lt112 import SPEC as LT112_SPEC
from strategies.put_ratio_spread import SPEC as PUT_RATIO_SPREAD_SPEC
from strategies.registry import build_strategies
from strategies.structures import product_points
from strategies.vix_spike import SPEC as VIX_SPIKE_SPEC
from strategies.weekly_butterfly import SPEC as WEEKLY_BUTTERFLY_SPEC

# The strategies whose rules the audit checks, by their declared keys.
FRIDAY_0DTE = FRIDAY_0DTE_SPEC.key
LT112 = LT112_SPEC.key
VIX_SPIKE = VIX_SPIKE_SPEC.key
BROKEN_WING_BUTTERFLY = BROKEN_WING_BUTTERFLY_SPEC.key
PUT_RATIO_SPREAD = PUT_RATIO_SPREAD_SPEC.key
JADE_LIZARD = JADE_LIZARD_SPEC.key
BOX_SPREAD = BOX_SPREAD_SPEC.key
WEEKLY_BUTTERFLY = WEEKLY_BUTTERFLY_SPEC.key
LEAP_PUT_LADDER = LEAP_PUT_LADDER_SPEC.key

CHECKS = ("price_bound", "width", "exit", "overnight", "expiry_close", "ipmcc_time", "pnl_row", "ladder_expiry")
BROKER_EXITS = frozenset({"expired_worthless", "cash_settlement", "expiry_exercise", "early_assignment",
                          "closed_by_broker"})
CENT = 0.01  # USD: a row reproduces its gross P&L to the cent
Row = Mapping[str, Any]


def parse_contract(key: str) -> Contract:
    """A contract from its key ("SPY 2024-08-16 P 500", "MES 2024-09-20 F", "SPY")."""
    parts = key.split()
    if len(parts) == 1:
        return Contract(parts[0], ContractKind.EQUITY)
    expiry = date.fromisoformat(parts[1])
    if len(parts) == 3:
        return Contract(parts[0], ContractKind.FUTURE, expiry=expiry)
    return Contract(parts[0], ContractKind.OPTION, expiry=expiry, right="put" if parts[2] == "P" else "call",
                    strike=float(parts[3]))


def row_legs(row: Row) -> list[tuple[int, Contract]]:
    """(signed quantity, contract) of each leg in a trade row's `legs` text."""
    legs = []
    for item in row["legs"].split(" | "):
        quantity, key = item.split(" ", 1)
        legs.append((int(quantity), parse_contract(key)))
    return legs


def _strikes(row: Row, right: str) -> list[float]:
    return sorted({float(c.strike or 0.0) for _, c in row_legs(row) if c.right == right})


def _widths(strikes: list[float]) -> list[float]:
    return [round(b - a, 6) for a, b in pairwise(strikes)]


def price_bound_problem(row: Row, config: FrameworkConfig) -> str | None:
    """Why the row's entry price is outside its rule's price bound, or None."""
    strategy, price = row["strategy"], float(row["entry_price"])
    product = row["product"]
    if strategy in (FRIDAY_0DTE, LT112, VIX_SPIKE):  # credit structures
        return f"a debit of {price:g}, not a credit" if price >= 0 else None
    if strategy in (BROKEN_WING_BUTTERFLY, PUT_RATIO_SPREAD):
        minimum = product_points(getattr(config, strategy).min_credit, product)
        return f"credit {-price:g} below {minimum:g}" if -price < minimum - 1e-9 else None
    if strategy == JADE_LIZARD:
        calls = _strikes(row, "call")
        width = calls[-1] - calls[0] if len(calls) > 1 else 0.0
        return f"credit {-price:g} below the call width {width:g}" if -price < width - 1e-9 else None
    if strategy == BOX_SPREAD:
        calls = _strikes(row, "call")
        expiry = row_legs(row)[0][1].expiry
        assert expiry is not None
        years = (expiry - datetime.fromisoformat(row["entry_time"]).date()).days / DAYS_PER_YEAR
        rate = implied_rate(calls[-1] - calls[0], -price, years)
        limit = config.box_spread.max_rate
        return f"implied rate {rate:.4%} not below {limit:.2%}" if rate >= limit + 1e-6 else None
    return None


def _rule_widths(strategy: str, product: str, config: FrameworkConfig) -> dict[str, Callable[[list[float]], bool]]:
    """Per right ("put"/"call"): a test of the row's sorted strike widths against the rule."""
    tolerance = config.order.width_tolerance

    def near(value: float, rule: float) -> bool:
        return abs(value - rule) <= tolerance + 1e-9

    if strategy == FRIDAY_0DTE:
        wing = wing_points(config.friday_0dte.wing_width, product)
        return {right: (lambda w, wing=wing: all(near(x, wing) for x in w)) for right in ("put", "call")}
    if strategy == VIX_SPIKE and product == "SPY":
        return {"put": lambda w: all(near(x, config.vix_spike.spread_width) for x in w)}
    if strategy == LT112:
        width = product_points(config.lt112.spread_width, product)
        return {"put": lambda w: bool(w) and near(w[-1], width)}  # long put and the short just below it
    if strategy == BROKEN_WING_BUTTERFLY:
        p = config.broken_wing_butterfly
        near_wing, far_wing = product_points(p.near_wing, product), product_points(p.far_wing, product)
        return {"put": lambda w: len(w) == 2 and near(w[0], far_wing) and near(w[1], near_wing)}
    if strategy == WEEKLY_BUTTERFLY:
        wing = product_points(config.weekly_butterfly.wing_width, product, reference="SPX")
        return {"call": lambda w: len(w) == 2 and all(near(x, wing) for x in w)}
    if strategy == JADE_LIZARD:
        width = product_points(config.jade_lizard.call_width, product)
        return {"call": lambda w: all(near(x, width) for x in w)}
    if strategy == BOX_SPREAD:
        return {right: (lambda w: all(near(x, config.box_spread.width) for x in w)) for right in ("put", "call")}
    return {}


def width_problem(row: Row, config: FrameworkConfig) -> str | None:
    """Why the row's strike widths differ from its rule's, or None."""
    for right, fits in _rule_widths(row["strategy"], row["product"], config).items():
        widths = _widths(_strikes(row, right))
        if widths and not fits(widths):
            return f"{right} widths {'/'.join(f'{w:g}' for w in widths)}"
    return None


def pnl_problem(row: Row) -> str | None:
    """Why the row's legs and per-leg prices do not give its gross P&L, or None."""
    entries = (row.get("leg_entry_prices") or "").split(" | ")  # absent in trade logs before per-leg prices
    exits = (row.get("leg_exit_prices") or "").split(" | ")
    legs = row_legs(row)
    if len(entries) != len(legs) or len(exits) != len(legs) or "?" in entries + exits or "" in entries + exits:
        return "per-leg prices missing"
    total = sum(q * (float(x) - float(e)) * contract_multiplier(c)
                for (q, c), e, x in zip(legs, entries, exits, strict=True))
    gross = float(row["gross_pnl"])
    return f"legs give {total:.2f}, row says {gross:.2f}" if abs(total - gross) > CENT else None


def _journal(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def journal_problems(records: Iterable[Mapping[str, Any]], config: FrameworkConfig) -> dict[str, list[str]]:
    """The journal checks: overnight, expiry_close, ipmcc_time and ladder_expiry."""
    problems: dict[str, list[str]] = {"overnight": [], "expiry_close": [], "ipmcc_time": [], "ladder_expiry": []}
    working: dict[str, dict[str, Any]] = {}  # position id -> its latest order record not yet filled
    ladder_orders: list[str] = []
    expired_rungs: list[tuple[str, str]] = []
    window = config.risk.management_interval_minutes
    start_h, start_m = (int(x) for x in config.ipmcc.short_call_time.split(":"))
    for record in records:
        kind, when = record["kind"], datetime.fromisoformat(record["time"])
        if kind == "order" and record.get("order_id") and record.get("position_id"):
            working[record["position_id"]] = record
            message = record["message"]
            expiring = [parse_contract(leg.split(" ", 1)[1]) for leg in record.get("legs", [])]
            if message.startswith("close order") and any(c.expiry == when.date() for c in expiring) \
                    and when > expiry_day_close_start(when, config.order):
                problems["expiry_close"].append(f"{when.isoformat()} {record['position_id']}: {message}")
            if message.startswith("open order: IPMCC short call"):
                minutes = when.hour * 60 + when.minute - (start_h * 60 + start_m)
                if when.weekday() != 4 or not 0 <= minutes < window:
                    problems["ipmcc_time"].append(f"{when.isoformat()}: {message}")
            if record.get("strategy") == LEAP_PUT_LADDER:
                ladder_orders.append(message)
        elif kind == "fill" and record.get("position_id") in working:
            sent = datetime.fromisoformat(working[record["position_id"]]["time"])
            if sent.date() != when.date():
                problems["overnight"].append(f"sent {sent.isoformat()}, filled {when.isoformat()}: {record['message']}")
        elif kind == "assignment" and record.get("strategy") == LEAP_PUT_LADDER \
                and record["message"].startswith("expired_worthless"):
            expired_rungs.append((record["time"], record["message"].split(": ", 1)[1].rsplit(" x", 1)[0]))
    for when_text, key in expired_rungs:
        if not any(key in message and "left to expire" in message for message in ladder_orders):
            problems["ladder_expiry"].append(f"{when_text}: {key} expired with no replacement naming it")
    return problems


def audit_run(rows: Iterable[Row], records: Iterable[Mapping[str, Any]],
              config: FrameworkConfig) -> dict[str, list[str]]:
    """Every rule problem in one run's trade rows and journal records, by check (CHECKS order)."""
    exits = {s.key: s.exits for s in build_strategies(config)}
    problems: dict[str, list[str]] = {check: [] for check in CHECKS}
    for row in rows:
        label = f"{row['position_id']} {row['strategy']} {row['entry_time']}"
        for check, finder in (("price_bound", price_bound_problem), ("width", width_problem)):
            problem = finder(row, config)
            if problem:
                problems[check].append(f"{label}: {problem}")
        allowed = exits.get(row["strategy"], frozenset()) | SYSTEM_EXITS | BROKER_EXITS
        if row["exit_reason"] not in allowed:
            problems["exit"].append(f"{label}: exit {row['exit_reason']}")
        problem = pnl_problem(row)
        if problem:
            problems["pnl_row"].append(f"{label}: {problem}")
    problems.update(journal_problems(records, config))
    return problems


def audit(out_dir: str | Path, config: FrameworkConfig | None = None) -> dict[str, list[str]]:
    """`audit_run` over the trades.csv and journal.jsonl in `out_dir` (default configuration)."""
    folder = Path(out_dir)
    with (folder / "trades.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return audit_run(rows, _journal(folder / "journal.jsonl"), config or load_config())


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m offline.report.rule_audit OUT_DIR", file=sys.stderr)
        return 2
    problems = audit(argv[0])
    report = {"counts": {check: len(found) for check, found in problems.items()},
              "examples": {check: found[:5] for check, found in problems.items() if found}}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
