"""The shared structure builder and management rules (what makes a strategy one short module).

A structure is described by `LegRule`s - right, signed ratio and how the strike is found (a delta,
a distance from the underlying price, or points from another leg's strike) - and by one DTE window
per expiry (a calendar or diagonal has two). `build_structure` picks the rows from a chain snapshot
and costs one unit (net mid, margin, max loss at expiry); it returns a skip reason when a leg cannot
be found. `ExitRules` are the management rules most strategies share: profit target and stop as a
multiple of the entry credit (or debit), a DTE exit, a clock exit, a delta line on the shorts and a
VIX line; `exit_reason` applies them in a fixed order.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

import numpy as np

from config.constants import product_spec
from core.exit_reasons import ExitReason
from core.position import Position
from core.types import ChainSnapshot, Leg, OrderIntent, Purpose
from strategies.base import (
    DecisionContext,
    EntryParameters,
    Proposal,
    Strategy,
    close_intent,
    kelly_prior,
    make_intent,
    position_pnl,
)
from strategies.chain_tools import mid_net, pick_expiry, row_at_width, row_by_delta, row_by_strike, unit_costs
from strategies.defensive import contract_deltas, dte_exit_due, short_contracts


@dataclass(frozen=True)
class DteWindow:
    """Calendar days to expiry: the listed expiry nearest `target` within [low, high]."""

    target: int
    low: int
    high: int

    def __post_init__(self) -> None:
        if not 0 <= self.low <= self.target <= self.high:
            raise ValueError(f"DTE window needs 0 <= low <= target <= high, got {self.low}/{self.target}/{self.high}")


@dataclass(frozen=True)
class LegRule:
    """One leg: `right` ("put"/"call"), signed `ratio` (+1 buy one, -2 sell two) and exactly one of

    * `delta`: the strike whose |delta| is nearest (never at or above `max_delta` when given);
    * `otm`: the strike nearest spot x (1 - otm) for a put, spot x (1 + otm) for a call (0 = at the
      money, negative = in the money);
    * `offset`: the strike of leg `anchor` plus `offset` points: exactly that distance, or the nearest
      listed strike within the structure's width tolerance (0: exactly the anchor's strike, e.g. the
      other right of a box); otherwise the structure is skipped naming the nearest listed width.
      The anchor may be listed after the leg (an iron condor lists each wing before its short);
      it must not itself be an offset leg.

    `expiry` indexes the structure's DTE windows (0 unless it is a calendar or diagonal).
    """

    right: str
    ratio: int
    delta: float | None = None
    otm: float | None = None
    offset: float | None = None
    anchor: int = 0
    expiry: int = 0
    max_delta: float | None = None

    def __post_init__(self) -> None:
        if sum(choice is not None for choice in (self.delta, self.otm, self.offset)) != 1:
            raise ValueError("a leg needs exactly one of delta, otm or offset")
        if self.ratio == 0:
            raise ValueError("a leg's ratio must not be 0")
        if self.anchor < 0:
            raise ValueError(f"a leg's anchor must be a leg index >= 0, got {self.anchor}")


@dataclass(frozen=True)
class Structure:
    """The legs picked for one unit with their chain rows, expiries and costs."""

    legs: tuple[Leg, ...]
    rows: tuple[int, ...]
    expiries: tuple[date, ...]
    net: float  # mid net price per unit: positive a debit, negative a credit
    margin: float  # USD per unit
    max_loss: float  # USD per unit held to expiry (+inf with a naked call)
    mids: tuple[float, ...]  # each leg's chain mid (price units per contract)

    @property
    def credit(self) -> float:
        return -self.net

    def strike(self, leg: int) -> float:
        return float(self.legs[leg].contract.strike or 0.0)


def build_structure(chain: ChainSnapshot, legs: tuple[LegRule, ...], windows: tuple[DteWindow, ...],
                    as_of: date, avoid: frozenset[date] = frozenset(), width_tolerance: float = 0.0) -> Structure | str:
    """Pick every leg of `legs` from `chain` (expiries from `windows`, never one in `avoid`; offset
    legs within `width_tolerance` points of their width, parameter `order_width_tolerance`); the
    structure or a skip reason naming what is missing."""
    if avoid:
        chain = chain.subset(~np.isin(chain.expiries, np.array(sorted(avoid), dtype="datetime64[D]")))
    expiries: list[date] = []
    for window in windows:
        expiry = pick_expiry(chain, as_of, window.target, window.low, window.high)
        if expiry is None:
            return f"no {chain.root} expiry {window.low}-{window.high} DTE"
        expiries.append(expiry)
    picked_rows: dict[int, int] = {}
    for index in _pick_order(legs):
        rule = legs[index]
        expiry = expiries[rule.expiry]
        row = _leg_row(chain, rule, expiry, picked_rows, width_tolerance)
        if isinstance(row, str):
            return f"leg {index + 1} ({rule.ratio:+d} {rule.right}): {row} at {expiry}"
        picked_rows[index] = row
    rows = [picked_rows[index] for index in range(len(legs))]
    picked = tuple(Leg(chain.contract(row), rule.ratio) for rule, row in zip(legs, rows, strict=True))
    keys = [leg.contract.key for leg in picked]
    for later, key in enumerate(keys):
        if key in keys[:later]:
            return f"legs {keys.index(key) + 1} and {later + 1} landed on the same contract {key}"
    margin, max_loss = unit_costs(chain, picked, rows, as_of)
    return Structure(picked, tuple(rows), tuple(sorted(set(expiries))), mid_net(chain, picked, rows), margin, max_loss,
                     tuple(float(chain.mid[row]) for row in rows))


def _pick_order(legs: tuple[LegRule, ...]) -> list[int]:
    """Leg indices in the order they are picked: as listed, an offset leg whose anchor comes later
    right after its anchor. Raises ValueError for an anchor that is no leg or is an offset leg."""
    order: list[int] = []
    for index, rule in enumerate(legs):
        if rule.offset is None:
            order.append(index)
            order += [i for i, other in enumerate(legs) if other.offset is not None and other.anchor == index and i < index]
            continue
        if rule.anchor >= len(legs) or legs[rule.anchor].offset is not None:
            raise ValueError(f"leg {index + 1} is anchored to leg {rule.anchor + 1}, which is not a delta or otm leg")
        if rule.anchor < index:
            order.append(index)
    return order


def _leg_row(chain: ChainSnapshot, rule: LegRule, expiry: date, rows: dict[int, int],
             width_tolerance: float) -> int | str:
    if rule.delta is not None:
        row = row_by_delta(chain, expiry, rule.right, rule.delta, rule.max_delta)
        cap = "" if rule.max_delta is None else f" below {rule.max_delta:g}"
        return row if row is not None else f"no strike near {rule.delta:g} delta{cap}"
    if rule.otm is not None:
        spot = chain.underlying_price
        target = spot * (1.0 - rule.otm) if rule.right == "put" else spot * (1.0 + rule.otm)
        row = row_by_strike(chain, expiry, rule.right, target)
        return row if row is not None else f"no strike near {target:.2f}"
    assert rule.offset is not None
    anchor_strike = float(chain.strikes[rows[rule.anchor]])
    if rule.offset == 0:
        row = row_by_strike(chain, expiry, rule.right, anchor_strike)
        if row is None or float(chain.strikes[row]) != anchor_strike:
            return f"no strike {anchor_strike:g}"
        return row
    return row_at_width(chain, expiry, rule.right, anchor_strike, rule.offset, width_tolerance)


# "SPY points": widths and prices in the rules are given on SPY's scale. The S&P 500 index options
# (SPX, SPXW) and the S&P 500 futures options (/ES, /MES) quote the same index at about 10 x SPY;
# QQQ and IWM keep SPY's points (their strikes are 1 point apart too). The one scale of the framework.
INDEX_SCALE = {"SPY": 1.0, "QQQ": 1.0, "IWM": 1.0, "SPX": 10.0, "SPXW": 10.0, "ES": 10.0, "MES": 10.0}


def product_points(points: float, product: str, reference: str = "SPY") -> float:
    """`points` given on the scale of `reference` (SPY) in the points of `product` (SPX: x10)."""
    return points * INDEX_SCALE.get(product, 1.0) / INDEX_SCALE.get(reference, 1.0)


def multiplier_of(product: str) -> float:
    return product_spec(product).option_multiplier


# --- management ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExitRules:
    """Shared management rules; None switches a rule off.

    profit_target / stop_loss: open P&L at +target x basis / -stop x basis, where the basis is the
    entry credit for a credit position and the entry debit for a debit one; exit_dte: the nearest
    expiry this close; exit_time: a time of day ("HH:MM"); short_delta: a short option at this
    |delta| or more; vix_at_or_above: VIX at or above this level.
    """

    profit_target: float | None = None
    stop_loss: float | None = None
    exit_dte: int | None = None
    exit_time: str | None = None
    short_delta: float | None = None
    vix_at_or_above: float | None = None


def exit_reason(ctx: DecisionContext, position: Position, rules: ExitRules) -> ExitReason | None:
    """The first exit due, in this order: time_exit (clock, then DTE), vix_exit, delta_stop,
    profit_target, stop_loss; None when none is due (or the position cannot be valued)."""
    if rules.exit_time is not None and ctx.at_or_after(rules.exit_time):
        return ExitReason.TIME_EXIT
    if rules.exit_dte is not None and dte_exit_due(position, ctx.today, rules.exit_dte):
        return ExitReason.TIME_EXIT
    if rules.vix_at_or_above is not None and ctx.vix is not None and ctx.vix >= rules.vix_at_or_above:
        return ExitReason.VIX_EXIT
    if rules.short_delta is not None:
        shorts = short_contracts(position)
        deltas = contract_deltas(ctx, shorts) if shorts else {}
        if any(abs(deltas.get(c.key, 0.0)) >= rules.short_delta for c in shorts):
            return ExitReason.DELTA_STOP
    if rules.profit_target is None and rules.stop_loss is None:
        return None
    pnl = position_pnl(position, ctx.market)
    basis = abs(position.entry_cash)
    if pnl is None or basis <= 0:
        return None
    if rules.profit_target is not None and pnl >= rules.profit_target * basis:
        return ExitReason.PROFIT_TARGET
    if rules.stop_loss is not None and pnl <= -rules.stop_loss * basis:
        return ExitReason.STOP_LOSS
    return None


def managed_exit(ctx: DecisionContext, position: Position, rules: ExitRules,
                 timeout_seconds: int | None = None) -> list[OrderIntent]:
    """A close of the whole position when `exit_reason` finds an exit due, else nothing."""
    reason = exit_reason(ctx, position, rules)
    if reason is None:
        return []
    intent = close_intent(ctx, position, reason, timeout_seconds=timeout_seconds)
    return [intent] if intent is not None else []


# --- the strategy on the builder ---------------------------------------------------------------

P = TypeVar("P", bound=EntryParameters)


class StructureStrategy(Strategy, Generic[P]):
    """A strategy whose entries are built structures: `build` picks the legs from a chain, and
    `proposal` turns the structure into an entry sized by the parameters' Kelly prior."""

    params: P

    def build(self, ctx: DecisionContext, chain: ChainSnapshot, legs: tuple[LegRule, ...],
              windows: tuple[DteWindow, ...], avoid: frozenset[date] = frozenset()) -> Structure | str:
        """`build_structure` on `chain` as of today, offset legs within `order_width_tolerance`."""
        return build_structure(chain, legs, windows, ctx.today, avoid, self.config.order.width_tolerance)

    def proposal(self, ctx: DecisionContext, structure: Structure, reason: str, max_loss_per_unit: float,
                 position_id: str | None = None, price_bound: float | None = None, *,
                 credit_unit: float | None = None, buying_power_cap: float | None = None,
                 timeout_seconds: int | None = None, missing: str = "quotes missing for a leg") -> Proposal | None:
        """An OPEN proposal for `structure` at the mid, `risk.max_contracts` units before sizing.

        Kelly prior from the parameters; the buying-power cap from the parameters unless given; the
        Kelly unit the credit (or debit) per unit in USD unless `credit_unit` is given. `price_bound`:
        the worst net price the entry rule allows (strategies.base.make_intent). `missing`: the skip
        reason when a leg has no quote."""
        intent = make_intent(ctx, self.key, Purpose.OPEN, structure.legs, self.config.risk.max_contracts, reason,
                             position_id=position_id, max_loss_per_unit=max_loss_per_unit,
                             margin_per_unit=structure.margin, timeout_seconds=timeout_seconds,
                             price_bound=price_bound, leg_marks=structure.mids)
        if intent is None:
            return self.skip(missing)
        if credit_unit is None:
            credit_unit = abs(structure.net) * multiplier_of(structure.legs[0].contract.root)
        if buying_power_cap is None:
            buying_power_cap = self.params.buying_power_cap
        return Proposal(intent, kelly_prior(self.params), buying_power_cap, credit_unit)
