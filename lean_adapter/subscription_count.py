"""How many contracts a configuration subscribes, counted on real option chains.

    python -m lean_adapter.subscription_count [--config config.json] FILE...

Each FILE is one day's option chain, either
- a LEAN universe file (option/usa/universes/<root>/<date>.csv, indexoption/usa/universes/...,
  futureoption/cme/universes/<root>/<contract month>/<date>.csv): the root and date come from
  its path, the underlying price from its first row (else --spot), and it is counted as LEAN uses it, for the
  selection at midnight after its date, from LEAN's reference day; or
- a vendor chain (.csv or .csv.gz) with columns expiration, strike, a quote date (quote_date or
  date), the underlying price (underlying_last, else --spot) and the OCC symbol (option_root or
  symbol), whose letters give the root; non-standard deliverables (nonstd > 0) are left out.
For each file it prints the contracts listed and those the configured option filter keeps, and
for each future root the days its futures universe looks ahead and the contract months that
holds (each gets an options universe of its own).
"""
from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from config.constants import product_spec
from lean_adapter.parameters import load_lean_config
from lean_adapter.subscription_plan import SubscriptionPlan, holds_any, plan_subscriptions, reference_day

Chain = tuple[str, date, float, list[tuple[date, float, str]]]  # root, reference day, spot, (expiry, strike, right)


def _rows(path: Path) -> Iterator[list[str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="") as handle:
        yield from csv.reader(handle)


def read_lean_universe(path: Path, spot: float | None) -> Chain:
    """A LEAN universe file: the selection runs at midnight after the file's date. Its first row
    is the underlying (no expiry); a file without it needs `spot`."""
    parts = path.parts
    root = parts[-3] if parts[-4] == "universes" else parts[-2]
    rows = list(_rows(path))
    if len(rows) > 1 and rows[1] and not rows[1][0]:
        spot = float(rows[1][6])
    if spot is None:
        raise ValueError(f"{path}: no underlying row; give --spot")
    contracts = [(date(int(r[0][:4]), int(r[0][4:6]), int(r[0][6:8])), float(r[1]), r[2].upper()[:1])
                 for r in rows[1:] if r and r[0]]
    selection = date.fromisoformat(f"{path.stem[:4]}-{path.stem[4:6]}-{path.stem[6:8]}") + timedelta(days=1)
    return root.upper(), reference_day(selection, product_spec(root).calendar), spot, contracts


def read_vendor_chain(path: Path, spot: float | None) -> list[Chain]:
    """A vendor end-of-day chain, one Chain per root it holds."""
    rows = _rows(path)
    header = next(rows)
    column = {name: i for i, name in enumerate(header)}
    symbol = column.get("option_root", column.get("symbol"))
    quoted = column.get("quote_date", column.get("date"))
    if symbol is None or quoted is None:
        raise ValueError(f"{path}: needs option_root or symbol, and quote_date or date columns")
    right = column.get("put_call", column.get("type"))
    if right is None:
        raise ValueError(f"{path}: needs a put_call or type column")
    found: dict[str, list[tuple[date, float, str]]] = {}
    day, price = None, spot
    for row in rows:
        if "nonstd" in column and float(row[column["nonstd"]] or 0) > 0:
            continue
        day = date.fromisoformat(row[quoted])
        if "underlying_last" in column:
            price = float(row[column["underlying_last"]])
        expiry = date.fromisoformat(row[column["expiration"]])
        if expiry >= day:
            root = re.match(r"[A-Z]+", row[symbol].upper())
            found.setdefault(root.group(0) if root else "?", []).append(
                (expiry, float(row[column["strike"]]), row[right].upper()[:1]))
    if day is None or price is None:
        raise ValueError(f"{path}: no rows, or no underlying price (give --spot)")
    return [(root, day, price, contracts) for root, contracts in sorted(found.items())]


def kept(plan: SubscriptionPlan, chain: Chain) -> int | None:
    """Contracts of `chain` the option filter keeps; None when the configuration has no window there."""
    root, today, spot, contracts = chain
    windows = plan.option_windows.get(root)
    if windows is None:
        return None
    return sum(holds_any(windows, (expiry - today).days, strike, spot) for expiry, strike, _ in set(contracts))


def contract_months(root: str, today: date, horizon: int) -> int:
    """Listed contract months (the product table's) of a future root whose month starts within
    `horizon` days (about)."""
    months = product_spec(root).future_months
    end, count, year, month = today + timedelta(days=horizon), 0, today.year, today.month
    while date(year, month, 1) <= end:
        count += month in months
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--config", type=Path, default=Path("config.json"), help="LEAN project file (parameters)")
    parser.add_argument("--spot", type=float, help="underlying price for a vendor chain without one")
    args = parser.parse_args(argv)
    parameters = json.loads(args.config.read_text())["parameters"]
    plan = plan_subscriptions(load_lean_config(parameters.get))
    chains: list[Chain] = []
    for path in args.files:
        is_lean = next(_rows(path))[0].startswith("#expiry")
        chains.extend([read_lean_universe(path, args.spot)] if is_lean else read_vendor_chain(path, args.spot))
    today = min(chain[1] for chain in chains)
    print(f"{'root':6} {'reference day':13} {'spot':>9} {'listed':>7} {'kept':>6}")
    for chain in chains:
        count = kept(plan, chain)
        shown = "-" if count is None else str(count)
        print(f"{chain[0]:6} {chain[1].isoformat():13} {chain[2]:9.2f} {len(set(chain[3])):7d} {shown:>6}")
    for root in plan.futures:
        horizon = plan.future_horizon(root)
        print(f"future {root}: universe {horizon} days ahead, about {contract_months(root, today, horizon)} "
              "contract months, each with its own options universe")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
