"""Settlement rules of the simulated broker: expiry, exercise, early assignment and dividends.

The functions decide; offline/broker/simulated_broker.py calls them from settle_expiries,
check_early_assignment and apply_dividends and books each AssignmentEvent they yield (the holding
leaves, `cash` is booked, `underlying_quantity` shares are added, marked at `underlying_price`).
They yield lazily, so each event is booked before the next holding is looked at.

EXPIRY (settle_expiries, every session close). Index and futures options (settlement "cash") pay
quantity x intrinsic x multiplier, futures settle at the underlying price; equity options in the
money by >= exercise_threshold ($0.01) are exercised or assigned into 100 shares per contract at the
strike; the rest expire worthless. The broker cancels working orders on expiring contracts first.

EARLY ASSIGNMENT (check_early_assignment, every session close). A short American equity option in
the money by >= exercise_threshold is assigned in full when (a) 1 <= DTE <= early_assignment_max_dte
and its extrinsic value (mark - intrinsic) < early_assignment_max_extrinsic, or (b) it is a call, the
next NYSE session is an ex-dividend date and its extrinsic value is below the dividend, or (c) it is
a put whose extrinsic value is below the carry its holder forgoes by waiting: the interest on the
strike until expiry, K (1 - exp(-r DTE / 365)) at the day's rate r. That is the American exercise
rule: a holder exercises once the option is worth no more alive than the dividend (calls) or the
interest (puts) that exercising now earns. Otherwise the early_assignment_probability fault
(offline/broker/faults.py) may assign it.

DIVIDENDS (apply_dividends, each session open). Long shares are credited and short shares debited
with the dividends going ex that day.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime

from config.constants import product_spec
from core.types import CALL, AssignmentEvent, Contract, ContractKind, contract_multiplier
from helpers.exchange_calendar import next_session

Dividends = Mapping[str, Sequence[tuple[date, float]]]
Holdings = Mapping[str, tuple[Contract, int]]
UnderlyingPrice = Callable[[str, datetime], float | None]
MarkPrice = Callable[[str, Contract, datetime], float]


def intrinsic_value(contract: Contract, underlying_price: float) -> float:
    """Intrinsic value of an option in price units (>= 0)."""
    assert contract.strike is not None
    if contract.right == CALL:
        return max(underlying_price - contract.strike, 0.0)
    return max(contract.strike - underlying_price, 0.0)


def dividend_on(dividends: Dividends, root: str, day: date) -> float:
    """Total dividend in USD per share of `root` going ex on `day`; ValueError for a negative or
    non-finite amount."""
    total = 0.0
    for ex_date, amount in dividends.get(root, ()):
        if not (math.isfinite(amount) and amount >= 0):
            raise ValueError(f"dividends[{root!r}]: amount must be finite and >= 0, got {amount!r}")
        if ex_date == day:
            total += amount
    return total


def exercise(contract: Contract, quantity: int, now: datetime, price: float, reason: str) -> AssignmentEvent:
    """Physical exercise (long) or assignment (short) of `quantity` contracts into shares at the
    strike; `price` is the underlying price in USD the shares are marked at."""
    assert contract.strike is not None
    shares = quantity * int(contract_multiplier(contract)) * (1 if contract.right == CALL else -1)
    return AssignmentEvent(now, contract, quantity, shares, -shares * contract.strike, price, reason)


def expiry_settlements(holdings: Holdings, day: date, close_time: datetime, underlying: UnderlyingPrice,
                       exercise_threshold: float) -> Iterator[AssignmentEvent]:
    """Settle the options and futures of `holdings` expiring by `day` at `close_time` by EXPIRY
    (module docstring), in key order. `underlying(root, now)` gives the settlement price in USD or
    None. Raises ValueError, before yielding anything, when an expiring holding's underlying has no
    price."""
    expiring = [(c, q) for _, (c, q) in sorted(holdings.items())
                if c.kind != ContractKind.EQUITY and c.expiry is not None and c.expiry <= day]
    prices = {c.root: underlying(c.root, close_time) for c, _ in expiring}
    missing = sorted(root for root, price in prices.items() if price is None)
    if missing:
        raise ValueError(f"no settlement price at {close_time} for {', '.join(missing)}")
    for contract, quantity in expiring:
        price = float(prices[contract.root] or 0.0)
        intrinsic = price if contract.kind == ContractKind.FUTURE else intrinsic_value(contract, price)
        if contract.kind == ContractKind.FUTURE or product_spec(contract.root).settlement == "cash":
            cash = quantity * intrinsic * contract_multiplier(contract)
            reason = "cash_settlement" if intrinsic > 0 else "expired_worthless"
            yield AssignmentEvent(close_time, contract, quantity, 0, cash, price, reason)
        elif intrinsic >= exercise_threshold:
            yield exercise(contract, quantity, close_time, price, "expiry_exercise")
        else:
            yield AssignmentEvent(close_time, contract, quantity, 0, 0.0, price, "expired_worthless")


def early_assignments(holdings: Holdings, now: datetime, dividends: Dividends, rate: float,
                      underlying: UnderlyingPrice, mark: MarkPrice, exercise_threshold: float, max_dte: int,
                      max_extrinsic: float, fault_assigns: Callable[[], bool]) -> Iterator[AssignmentEvent]:
    """Assign short American equity options of `holdings` by EARLY ASSIGNMENT (module docstring), in
    key order. `dividends`: root -> [(ex_date, USD per share)]; `rate`: the day's risk-free rate
    (continuous annual fraction) of rule (c); `underlying(root, now)` the price in USD or None (such
    holdings are skipped); `mark(key, contract, now)` the option's mark in USD; `max_dte` days and
    `max_extrinsic` USD per share are rule (a); `fault_assigns()` is asked only when no rule assigns.
    Raises ValueError for a bad dividend amount or a non-finite rate."""
    if not math.isfinite(rate):
        raise ValueError(f"rate must be a finite number, got {rate!r}")
    today = now.date()
    for key, (contract, quantity) in sorted(holdings.items()):
        if contract.kind != ContractKind.OPTION or quantity >= 0 or contract.expiry is None:
            continue
        spec = product_spec(contract.root)
        days_left = (contract.expiry - today).days
        price = underlying(contract.root, now)
        if spec.exercise_style != "american" or spec.settlement != "physical" or days_left <= 0 or not price:
            continue
        intrinsic = intrinsic_value(contract, price)
        if intrinsic < exercise_threshold:
            continue
        extrinsic = mark(key, contract, now) - intrinsic
        if contract.right == CALL:
            forgone = dividend_on(dividends, contract.root, next_session(today))
        else:
            forgone = float(contract.strike or 0.0) * -math.expm1(-rate * days_left / 365.0)
        by_rule = ((days_left <= max_dte and extrinsic < max_extrinsic)
                   or (forgone > 0 and extrinsic < forgone))
        if by_rule or fault_assigns():
            yield exercise(contract, quantity, now, price, "early_assignment")


def dividend_cash(holdings: Holdings, day: date, dividends: Dividends) -> float:
    """USD the share holdings receive (long, +) or pay (short, -) for the dividends going ex on `day`.
    Raises ValueError for a negative or non-finite dividend."""
    return sum(quantity * dividend_on(dividends, contract.root, day)
               for contract, quantity in holdings.values() if contract.kind == ContractKind.EQUITY)
