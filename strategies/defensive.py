"""Defensive management shared by every short-premium strategy except 0DTE (SPEC section 5).

Close at the exit DTE whatever the P&L; never roll a losing (tested) side out in time; the only
roll is the untested side. Helpers here read the market through the decision context only.
Also the tested/untested split of a strangle, the roll guard, and the IPMCC's LEAP drawdown rules.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from config.strategy_parameters import IpmccParameters
from core.position import Position
from core.types import CALL, PUT, Contract, ContractKind
from strategies.base import DecisionContext


def days_to_expiry(position: Position, today: date) -> int | None:
    """Calendar days to the position's nearest expiry (None when it holds no dated contract)."""
    expiries = position.expiries()
    return min((e - today).days for e in expiries) if expiries else None


def dte_exit_due(position: Position, today: date, exit_dte: int) -> bool:
    """True once the nearest expiry is `exit_dte` calendar days away or closer."""
    dte = days_to_expiry(position, today)
    return dte is not None and dte <= exit_dte


def contract_deltas(ctx: DecisionContext, contracts: list[Contract]) -> dict[str, float]:
    """Current delta of each option contract (contracts that cannot be valued are left out)."""
    deltas: dict[str, float] = {}
    for contract in contracts:
        if contract.expiry is not None and contract.strike is not None:
            delta = ctx.market.delta(contract)
            if delta is not None and math.isfinite(delta):
                deltas[contract.key] = delta
    return deltas


def short_contracts(position: Position, right: str | None = None) -> list[Contract]:
    """The position's short option contracts (of one right if given)."""
    return [c for c, q in position.contracts() if q < 0 and c.strike is not None and (right is None or c.right == right)]


def shorts_at_delta(shorts: list[Contract], deltas: dict[str, float], threshold: float) -> list[Contract]:
    """The shorts whose |delta| is at or above `threshold` (shorts without a known delta are left out)."""
    return [c for c in shorts if c.key in deltas and abs(deltas[c.key]) >= threshold]


def split_tested(shorts: list[Contract], deltas: dict[str, float]) -> tuple[Contract, Contract] | None:
    """(tested, untested) of a strangle: one short put and one short call, the tested one being the
    short with the larger |delta| (the side the market moved towards).

    None unless `shorts` is exactly one put and one call, both with a known delta.
    """
    puts = [c for c in shorts if c.right == PUT]
    calls = [c for c in shorts if c.right == CALL]
    if len(puts) != 1 or len(calls) != 1 or puts[0].key not in deltas or calls[0].key not in deltas:
        return None
    put, call = puts[0], calls[0]
    if abs(deltas[put.key]) >= abs(deltas[call.key]):
        return put, call
    return call, put


def roll_allowed(old: Contract, new: Contract, old_is_tested: bool) -> bool:
    """The "never roll a loser" guard (SPEC section 5, defensive management).

    A roll is allowed only for an untested short, to an option of the same root, right and expiry
    (never out in time) whose strike is closer to the money (higher for a put, lower for a call),
    which is what makes the roll collect a credit. A tested (losing) short is never rolled: it is
    closed by the stop rules instead.
    """
    if old_is_tested or old.kind != ContractKind.OPTION or new.kind != ContractKind.OPTION:
        return False
    if (old.root, old.right, old.expiry) != (new.root, new.right, new.expiry):
        return False
    assert old.strike is not None and new.strike is not None
    return new.strike > old.strike if old.right == PUT else new.strike < old.strike


@dataclass(frozen=True)
class LeapDefence:
    """What the IPMCC's LEAP drawdown asks for (SPEC section 5).

    close_all: the LEAP is down `leap_stop` or more (close the LEAP and its short calls);
    extra_itm_strikes: listed strikes deeper in the money for the next short calls (1 from
    `deeper_itm_drawdown`); below_leap_strike: the next short calls go below the LEAP's strike
    (from `below_strike_drawdown`).
    """

    close_all: bool
    extra_itm_strikes: int
    below_leap_strike: bool


def leap_drawdown(cost: float, value: float) -> float:
    """Fraction the LEAP has lost since it was bought (0.25 = down 25%; 0 when it gained).

    cost and value are prices per contract in the same units (price or USD).
    Raises ValueError for a non-finite or non-positive cost, or a non-finite or negative value.
    """
    if not (math.isfinite(cost) and cost > 0):
        raise ValueError(f"LEAP cost must be finite and positive, got {cost!r}")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"LEAP value must be finite and >= 0, got {value!r}")
    return max(0.0, 1.0 - value / cost)


def leap_defence(drawdown: float, params: IpmccParameters) -> LeapDefence:
    """The IPMCC drawdown rules for a LEAP down `drawdown` (a fraction, see leap_drawdown).

    Raises ValueError for a negative or non-finite drawdown.
    """
    if not (math.isfinite(drawdown) and drawdown >= 0):
        raise ValueError(f"drawdown must be a finite fraction >= 0, got {drawdown!r}")
    return LeapDefence(close_all=drawdown >= params.leap_stop,
                       extra_itm_strikes=1 if drawdown >= params.deeper_itm_drawdown else 0,
                       below_leap_strike=drawdown >= params.below_strike_drawdown)
