"""Picking contracts from a chain snapshot and costing a structure (shared by every strategy)."""
from __future__ import annotations

from datetime import date

import numpy as np

from config.constants import product_spec
from core.types import ChainSnapshot, Leg
from helpers.strike_selection import index_by_delta, nearest_expiry
from risk.margin import estimate_margin, max_loss_at_expiry


def _side_rows(chain: ChainSnapshot, expiry: date, right: str) -> np.ndarray:
    want_call = right.lower().startswith("c")
    mask = (chain.expiries == np.datetime64(expiry, "D")) & (chain.is_call == want_call)
    mask &= np.isfinite(chain.bid) & np.isfinite(chain.ask) & (chain.ask > 0)
    return np.flatnonzero(mask)


def row_by_delta(chain: ChainSnapshot, expiry: date, right: str, target_delta: float,
                 max_abs_delta: float | None = None) -> int | None:
    """Chain row of `right` at `expiry` whose |delta| is closest to target (never >= max)."""
    rows = _side_rows(chain, expiry, right)
    if rows.size == 0:
        return None
    pick = index_by_delta(chain.strikes[rows], chain.delta[rows], target_delta, right, max_abs_delta)
    return None if pick is None else int(rows[pick])


def row_by_strike(chain: ChainSnapshot, expiry: date, right: str, target_strike: float,
                  side: str = "nearest") -> int | None:
    """Chain row nearest to `target_strike` ("nearest"), or the nearest at or beyond it
    ("below": strike <= target, "above": strike >= target)."""
    rows = _side_rows(chain, expiry, right)
    strikes = chain.strikes[rows]
    if side == "below":
        rows, strikes = rows[strikes <= target_strike + 1e-9], strikes[strikes <= target_strike + 1e-9]
    elif side == "above":
        rows, strikes = rows[strikes >= target_strike - 1e-9], strikes[strikes >= target_strike - 1e-9]
    if rows.size == 0:
        return None
    return int(rows[int(np.argmin(np.abs(strikes - target_strike)))])


def row_at_width(chain: ChainSnapshot, expiry: date, right: str, anchor_strike: float, offset: float,
                 tolerance: float) -> int | str:
    """Chain row of `right` at `expiry` whose strike lies `offset` points from `anchor_strike` (below
    when negative): the listed strike nearest that distance (the narrower of two as near), accepted only when its width differs from
    |offset| by at most `tolerance` points and lies on the right side; else the skip reason naming
    the nearest listed width (a rule's width is never silently narrowed or widened)."""
    rows = _side_rows(chain, expiry, right)
    strikes = chain.strikes[rows]
    side = strikes < anchor_strike - 1e-9 if offset < 0 else strikes > anchor_strike + 1e-9
    direction = "below" if offset < 0 else "above"
    if not side.any():
        return f"no {right} strike {direction} {anchor_strike:g}"
    rows, strikes = rows[side], strikes[side]
    widths = np.abs(strikes - anchor_strike)
    pick = int(np.lexsort((widths, np.abs(widths - abs(offset))))[0])  # nearest width; a tie: the narrower
    width = float(widths[pick])
    if abs(width - abs(offset)) > tolerance + 1e-9:
        return (f"no {right} strike {abs(offset):g} points {direction} {anchor_strike:g}: the nearest listed "
                f"width is {width:g} (tolerance {tolerance:g})")
    return int(rows[pick])


def pick_expiry(chain: ChainSnapshot, as_of: date, target_dte: int, min_dte: int, max_dte: int) -> date | None:
    """Listed expiry closest to target_dte within [min_dte, max_dte] calendar days."""
    if len(chain) == 0:
        return None
    return nearest_expiry(chain.expiries, as_of, target_dte, min_dte, max_dte)


def unit_costs(chain: ChainSnapshot, legs: tuple[Leg, ...], rows: list[int], as_of: date) -> tuple[float, float]:
    """(margin, max loss at expiry) in USD for ONE unit of the structure, priced at chain mids.

    The max loss is +inf for structures with a naked call.
    """
    holdings = [(leg.contract, leg.ratio) for leg in legs]
    prices = {leg.contract.key: float(chain.mid[row]) for leg, row in zip(legs, rows, strict=True)}
    vols = {leg.contract.key: float(chain.iv[row]) for leg, row in zip(legs, rows, strict=True)}
    margin = estimate_margin(holdings, chain.underlying_price, prices, vols, as_of)
    net_cash = -sum(leg.ratio * prices[leg.contract.key] for leg in legs) * product_spec(legs[0].contract.root).option_multiplier
    return margin, max_loss_at_expiry(holdings, net_cash)


def mid_net(chain: ChainSnapshot, legs: tuple[Leg, ...], rows: list[int]) -> float:
    """Net mid price of one unit (positive debit, negative credit)."""
    return float(sum(leg.ratio * chain.mid[row] for leg, row in zip(legs, rows, strict=True)))
