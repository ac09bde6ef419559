"""The trade log (SPEC section 10): one row per closed position.

`trade_row` is LEAN-safe (standard library and project modules only) and returns a plain dict whose
keys are TRADE_COLUMNS in order, with times as ISO text, so a row can go to JSON, the LEAN log or
CSV unchanged. `trades_csv_text` and `write_trades_csv` serve the offline engine's trades.csv.

Sign conventions: `entry_price` and `exit_price` are the net price of the position's opening (and
last closing) order per structure unit in price units, as in OrderIntent (positive for a debit paid,
negative for a credit received). Money is USD: `gross_pnl` is the realised P&L before fees, `fees`
the commissions and exchange fees paid (>= 0), `pnl` = gross_pnl - fees, the figure that decides a
win or a loss in the statistics.

Legs: a closed position's row lists every contract it ever held (LegFill: all its orders, rolls,
rungs and settlements), each with its signed quantity opened (+ long, - short) in `legs`, and its
average entry and exit price per contract in `leg_entry_prices` and `leg_exit_prices` (aligned with
`legs`, " | " between legs, "?" where the engine did not report a leg's price), so that the row alone
gives gross_pnl = sum(quantity x (exit - entry) x multiplier). `strike_widths` names the widths the
listed strikes gave, per right (e.g. "P 5/10").
"""
from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from config.constants import PHASE_TABLE, Regime
from core.types import Contract, Leg

TRADE_COLUMNS: tuple[str, ...] = (
    "strategy", "position_id", "product", "legs", "quantity", "entry_time", "exit_time", "holding_days",
    "entry_price", "exit_price", "gross_pnl", "fees", "pnl", "regime", "phase", "exit_reason",
    "leg_entry_prices", "leg_exit_prices", "strike_widths",
)


@dataclass(frozen=True)
class LegFill:
    """One contract a position held: signed contracts opened (+ bought first, - sold first) and the
    average entry and exit price per contract (price units; None when not reported)."""

    contract: Contract
    quantity: int
    entry_price: float | None
    exit_price: float | None


def _price_text(price: float | None) -> str:
    return "?" if price is None else f"{round(price, 6) + 0.0:.12g}"  # + 0.0: no "-0"


def strike_widths(contracts: Iterable[Contract]) -> str:
    """The widths between the distinct strikes of each right, e.g. "P 5/10 C 10"; "" when no right
    has two strikes."""
    listed = list(contracts)
    parts = []
    for right in ("put", "call"):
        strikes = sorted({float(c.strike) for c in listed if c.strike is not None and c.right == right})
        if len(strikes) > 1:
            parts.append(f"{right[0].upper()} " + "/".join(f"{b - a:g}" for a, b in pairwise(strikes)))
    return " ".join(parts)


_PHASES = frozenset(rule.phase for rule in PHASE_TABLE)


def format_legs(legs: Sequence[Leg] | Sequence[LegFill]) -> str:
    """Legs as text, e.g. "-1 SPY 2024-08-16 P 500 | +1 SPY 2024-08-16 P 490" (a Leg's ratio per unit,
    a LegFill's contracts opened).

    Raises:
        ValueError: `legs` is empty.
        TypeError: an item of `legs` is neither a core.types.Leg nor a LegFill.
    """
    if not legs:
        raise ValueError("trade legs must not be empty")
    for leg in legs:
        if not isinstance(leg, (Leg, LegFill)):
            raise TypeError(f"trade legs must be core.types.Leg or LegFill values, got {type(leg).__name__}")
    return " | ".join(f"{leg.ratio if isinstance(leg, Leg) else leg.quantity:+d} {leg.contract.key}" for leg in legs)


def _finite(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"trade {name} must be a finite number, got {value!r}")
    return float(value)


def trade_row(*, strategy: str, position_id: str, legs: Sequence[Leg] | Sequence[LegFill], quantity: int,
              entry_time: datetime, exit_time: datetime, entry_price: float, exit_price: float,
              gross_pnl: float, fees: float, regime: str | Regime, phase: int, exit_reason: str,
              product: str | None = None) -> dict[str, Any]:
    """Build the trade-log row of one closed position.

    Args:
        strategy, position_id: who traded and which position (non-empty text).
        legs: every contract the position held with its prices (LegFill), or the structure's legs
            per unit (core.types.Leg) when no per-leg record exists (its price columns are empty).
        quantity: structure units of the opening order (>= 1).
        entry_time, exit_time: first entry fill and final exit (datetimes, exit not before entry).
        entry_price, exit_price: net price per unit in price units (+ debit, - credit).
        gross_pnl: realised P&L in USD before fees; fees: USD paid (>= 0).
        regime: VIX regime at entry (a config.constants.Regime or its value); phase: account phase
            at entry (1..4).
        exit_reason: why it closed (a core.exit_reasons.ExitReason, e.g. "profit_target"; kept as text).
        product: underlying root text; by default the legs' roots, sorted and joined by "+".

    Returns:
        A dict with exactly the keys of TRADE_COLUMNS, in that order; `pnl` = gross_pnl - fees and
        `holding_days` in calendar days (fraction, 4 decimals).

    Raises:
        TypeError: a leg is not a core.types.Leg or LegFill, or a time is not a datetime.
        ValueError: any other argument is empty, not finite or out of range (the message names it).
    """
    for name, text in (("strategy", strategy), ("position_id", position_id), ("exit_reason", exit_reason)):
        if not isinstance(text, str) or not text:
            raise ValueError(f"trade {name} must be non-empty text, got {text!r}")
    legs_text = format_legs(legs)
    fills = [leg for leg in legs if isinstance(leg, LegFill)]
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise ValueError(f"trade quantity must be a positive integer, got {quantity!r}")
    if not isinstance(entry_time, datetime) or not isinstance(exit_time, datetime):
        raise TypeError("trade entry_time and exit_time must be datetimes")
    if exit_time < entry_time:
        raise ValueError(f"trade exit_time {exit_time.isoformat()} is before entry_time {entry_time.isoformat()}")
    fees_value = _finite(fees, "fees")
    if fees_value < 0:
        raise ValueError(f"trade fees must be >= 0, got {fees}")
    gross = _finite(gross_pnl, "gross_pnl")
    try:
        regime_value = Regime(regime).value
    except ValueError:
        raise ValueError(f"trade regime {regime!r} is not a VIX regime") from None
    if isinstance(phase, bool) or phase not in _PHASES:
        raise ValueError(f"trade phase must be one of {sorted(_PHASES)}, got {phase!r}")
    if product is None:
        product = "+".join(sorted({leg.contract.root for leg in legs}))
    elif not isinstance(product, str) or not product:
        raise ValueError(f"trade product must be non-empty text, got {product!r}")
    return {
        "strategy": strategy, "position_id": position_id, "product": product, "legs": legs_text,
        "quantity": quantity, "entry_time": entry_time.isoformat(), "exit_time": exit_time.isoformat(),
        "holding_days": round((exit_time - entry_time).total_seconds() / 86_400.0, 4),
        "entry_price": _finite(entry_price, "entry_price"), "exit_price": _finite(exit_price, "exit_price"),
        "gross_pnl": gross, "fees": fees_value, "pnl": gross - fees_value,
        "regime": regime_value, "phase": int(phase), "exit_reason": str(exit_reason),
        "leg_entry_prices": " | ".join(_price_text(leg.entry_price) for leg in fills),
        "leg_exit_prices": " | ".join(_price_text(leg.exit_price) for leg in fills),
        "strike_widths": strike_widths(leg.contract for leg in legs),
    }


def check_trade_rows(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Return `rows` as a list after checking each has exactly the TRADE_COLUMNS keys.

    Raises:
        ValueError: a row (named by its index) lacks a column or has an extra one.
    """
    checked = list(rows)
    expected = set(TRADE_COLUMNS)
    for index, row in enumerate(checked):
        keys = set(row)
        if keys != expected:
            missing, extra = sorted(expected - keys), sorted(keys - expected)
            raise ValueError(f"trade row {index}: missing columns {missing}, unexpected columns {extra}")
    return checked


def trades_csv_text(rows: Iterable[Mapping[str, Any]]) -> str:
    """The rows as CSV text with a TRADE_COLUMNS header and "\\n" line ends; None becomes empty.

    Raises:
        ValueError: a row does not have exactly the TRADE_COLUMNS keys.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TRADE_COLUMNS)
    for row in check_trade_rows(rows):
        writer.writerow(["" if row[column] is None else row[column] for column in TRADE_COLUMNS])
    return buffer.getvalue()


def write_trades_csv(rows: Iterable[Mapping[str, Any]], path: str | Path) -> Path:
    """Write trades.csv (offline engine only; LEAN never writes files). Returns the path written.

    Raises:
        ValueError: a row does not have exactly the TRADE_COLUMNS keys.
        OSError: the file cannot be written.
    """
    target = Path(path)
    target.write_text(trades_csv_text(rows), encoding="utf-8", newline="")
    return target
