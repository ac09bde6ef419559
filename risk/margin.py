"""Margin (buying-power) estimates for the risk gate (SPEC section 8), in USD.

`estimate_margin` splits a structure the way a retail broker (Tastytrade) does and adds up:

1. **Covered (defined-risk) part, per expiry**: within one expiry and right, each long covers one
   short. Shorts are covered nearest-the-money first (puts from the highest strike down, calls
   from the lowest strike up), so the shorts left over are the furthest out of the money, which
   is the cheapest pairing. All longs of an expiry and the shorts they cover form one group
   whose requirement is its maximum loss at that expiry at current prices: premium paid minus
   the minimum of the payoff, evaluated exactly at 0 and at every strike (the payoff is
   piecewise linear, and the covered group never has a negative slope above the top strike).
   An iron condor is therefore charged one wing (width - credit), a debit spread its debit, a
   long option its premium.
2. **Diagonals / calendars**: a short left over is next covered by a long of the same right with
   a later expiry taken from a group that holds only longs (the IPMCC's LEAP call, a diagonal's
   back month). Requirement per pair: the pair's debit (long price - short price) plus the
   strike risk (calls: long strike above the short's; puts: long strike below), floored at 0.
3. **Covered calls**: short calls still left are covered by long shares, `multiplier` shares per
   contract, with no requirement beyond the shares' own.
4. **Naked shorts**:
   * equity, ETF and index options (option_model "bsm"): the CBOE/Reg-T rule per contract,
     put max(p * S - OTM amount, 10% * K), call max(p * S - OTM amount, 10% * S), times the
     multiplier, plus the option's current value; p = 20%, or 15% for broad-based indices. With
     naked puts and calls together (a strangle) the requirement is the larger side plus the
     other side's premium (CBOE straddle/strangle rule);
   * futures options (option_model "black76"): SPAN-like, the worst loss of all naked futures
     options together under underlying moves of 0, +/-1/3, +/-2/3 and +/-1 times 12%
     (asset class "equity_index") or 15% (others), each with implied volatility shifted by
     +/-30% (relative), repriced with Black-76 at the same time to expiry.
5. **Shares**: 50% of their value (Reg-T). **Futures**: a 12% / 15% move times the futures
   multiplier. Shares and futures do not offset the options' requirement (except the covered
   calls above).

A 1-1-2 (long put, short put below it, two shorts further down) is thus the debit spread's
debit plus Reg-T on the two far puts, as Tastytrade charges it (not the structure's worst loss,
which for naked puts would be the whole strike value).
Multipliers come only from config.constants.product_spec.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from config.constants import ProductSpec, product_spec
from core.types import CALL, Contract, ContractKind
from greeks.pricing import black76_price

REG_T_NAKED_FRACTION = 0.20
REG_T_NAKED_FRACTION_BROAD_INDEX = 0.15
REG_T_MINIMUM_FRACTION = 0.10
REG_T_SHARES_FRACTION = 0.50
SPAN_MOVE_EQUITY_INDEX = 0.12
SPAN_MOVE_OTHER = 0.15
SPAN_VOL_SHIFT = 0.30
SPAN_MOVE_STEPS = (-1.0, -2.0 / 3.0, -1.0 / 3.0, 0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0)
DAYS_PER_YEAR = 365.0

Holding = tuple[Contract, int]


@dataclass
class _Option:
    """One option line with everything the margin rules need; `count` is signed contracts."""

    contract: Contract
    count: int
    price: float
    multiplier: float

    @property
    def strike(self) -> float:
        assert self.contract.strike is not None
        return self.contract.strike

    @property
    def is_call(self) -> bool:
        return self.contract.right == CALL

    @property
    def expiry(self) -> date:
        assert self.contract.expiry is not None
        return self.contract.expiry

    def value_rank(self) -> float:
        """Larger for the more valuable strike of its right (calls: lower strike; puts: higher)."""
        return -self.strike if self.is_call else self.strike


def _finite(value: float, name: str, positive: bool = False, non_negative: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if positive and number <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    if non_negative and number < 0:
        raise ValueError(f"{name} must not be negative, got {value!r}")
    return number


def _merge(holdings: Sequence[Holding]) -> list[Holding]:
    """Sum quantities per contract key, dropping lines that net to zero."""
    merged: dict[str, Holding] = {}
    for item in holdings:
        try:
            contract, quantity = item
        except (TypeError, ValueError):
            raise TypeError(f"holdings: each item must be (Contract, quantity), got {item!r}") from None
        if not isinstance(contract, Contract):
            raise TypeError(f"holdings: {contract!r} is not a Contract")
        if isinstance(quantity, bool) or not isinstance(quantity, (int, np.integer)):
            raise TypeError(f"holdings: quantity of {contract.key} must be an integer, got {quantity!r}")
        held = merged.get(contract.key, (contract, 0))[1]
        merged[contract.key] = (contract, held + int(quantity))
    return [value for value in merged.values() if value[1] != 0]


def _spec_of(lines: Sequence[Holding]) -> ProductSpec:
    roots = {contract.root.upper() for contract, _ in lines}
    if len(roots) != 1:
        raise ValueError(f"holdings must share one underlying root, got {sorted(roots)}")
    try:
        return product_spec(roots.pop())
    except KeyError as exc:
        raise ValueError(f"holdings: {exc.args[0]}") from None


def _payoff_minimum(options: Sequence[_Option], shares: int = 0) -> float:
    """Minimum over underlying prices of the value at expiry (USD) of options plus shares.

    Every option is valued at its intrinsic value. Returns -inf when the value falls without
    bound as the price rises (net short calls not covered).
    """
    slope_above = float(shares) + sum(o.count * o.multiplier for o in options if o.is_call)
    if slope_above < 0:
        return -math.inf
    points = np.array([0.0] + [o.strike for o in options], dtype=float)
    value = points * float(shares)
    for o in options:
        intrinsic = np.maximum(points - o.strike, 0.0) if o.is_call else np.maximum(o.strike - points, 0.0)
        value = value + o.count * o.multiplier * intrinsic
    return float(value.min())


def max_loss_at_expiry(holdings: Sequence[Holding], entry_cash: float) -> float:
    """Maximum loss in USD of options and shares held to expiry, given the entry cash flow.

    `entry_cash` is USD received at entry (positive for a credit, negative for a debit), as in
    core.types.Position. Every option is valued at its intrinsic value; with several expiries
    this values the later ones at intrinsic at the first expiry, a lower bound of their worth, so
    the result is then an upper bound. Returns +inf for uncovered short calls; never negative.

    Raises:
        TypeError: an item of `holdings` is not a (Contract, integer quantity) pair.
        ValueError: a futures contract (its loss depends on the entry price,
            which the holdings do not carry), an unknown root or a non-finite `entry_cash`.
    """
    cash = _finite(entry_cash, "entry_cash")
    lines = _merge(holdings)
    if not lines:
        return max(0.0, -cash)
    spec = _spec_of(lines)
    options, shares = [], 0
    for contract, quantity in lines:
        if contract.kind == ContractKind.FUTURE:
            raise ValueError(f"max_loss_at_expiry does not handle futures ({contract.key})")
        if contract.kind == ContractKind.EQUITY:
            shares += quantity
        else:
            options.append(_Option(contract, quantity, 0.0, spec.multiplier))
    minimum = _payoff_minimum(options, shares)
    if minimum == -math.inf:
        return math.inf
    return max(0.0, -(cash + minimum))


def _span_move(spec: ProductSpec) -> float:
    return SPAN_MOVE_EQUITY_INDEX if spec.asset_class == "equity_index" else SPAN_MOVE_OTHER


def _pair_same_expiry(options: list[_Option]) -> tuple[dict[date, list[_Option]], list[_Option]]:
    """Cover shorts with longs of the same expiry and right; return the covered groups and the rest."""
    groups: dict[date, list[_Option]] = {}
    leftover: list[_Option] = []
    for right_is_call in (False, True):
        for expiry in sorted({o.expiry for o in options}):
            lines = [o for o in options if o.is_call == right_is_call and o.expiry == expiry]
            longs = sum(o.count for o in lines if o.count > 0)
            group = groups.setdefault(expiry, [])
            group.extend(o for o in lines if o.count > 0)
            for short in sorted((o for o in lines if o.count < 0), key=_Option.value_rank, reverse=True):
                covered = min(longs, -short.count)
                longs -= covered
                if covered:
                    group.append(_Option(short.contract, -covered, short.price, short.multiplier))
                if covered < -short.count:
                    leftover.append(_Option(short.contract, short.count + covered, short.price, short.multiplier))
    return groups, leftover


def _pair_later_longs(groups: dict[date, list[_Option]], shorts: list[_Option]) -> tuple[float, list[_Option]]:
    """Cover left-over shorts with later longs from long-only groups (diagonals); USD requirement."""
    requirement = 0.0
    leftover = []
    for short in sorted(shorts, key=_Option.value_rank, reverse=True):
        need = -short.count
        candidates = [o for expiry, group in groups.items() if expiry > short.expiry and all(g.count >= 0 for g in group)
                      for o in group if o.is_call == short.is_call and o.count > 0]
        for long in sorted(candidates, key=_Option.value_rank, reverse=True):
            used = min(need, long.count)
            if used == 0:
                continue
            strike_risk = max(0.0, long.strike - short.strike) if short.is_call else max(0.0, short.strike - long.strike)
            per_pair = (strike_risk + long.price - short.price) * short.multiplier
            requirement += used * max(0.0, per_pair)
            long.count -= used
            need -= used
        if need:
            leftover.append(_Option(short.contract, -need, short.price, short.multiplier))
    for expiry in list(groups):
        groups[expiry] = [o for o in groups[expiry] if o.count != 0]
    return requirement, leftover


def _reg_t_naked(shorts: list[_Option], underlying: float, spec: ProductSpec) -> float:
    """CBOE/Reg-T requirement (USD) of naked equity/index options, with the strangle rule."""
    fraction = REG_T_NAKED_FRACTION_BROAD_INDEX if spec.broad_based_index else REG_T_NAKED_FRACTION
    requirement = {True: 0.0, False: 0.0}
    premium = {True: 0.0, False: 0.0}
    for o in shorts:
        contracts = -o.count
        if o.is_call:
            base = max(fraction * underlying - max(0.0, o.strike - underlying), REG_T_MINIMUM_FRACTION * underlying)
        else:
            base = max(fraction * underlying - max(0.0, underlying - o.strike), REG_T_MINIMUM_FRACTION * o.strike)
        requirement[o.is_call] += contracts * (base + o.price) * o.multiplier
        premium[o.is_call] += contracts * o.price * o.multiplier
    if requirement[True] and requirement[False]:
        return max(requirement[True] + premium[False], requirement[False] + premium[True])
    return requirement[True] + requirement[False]


def _span_naked(shorts: list[_Option], underlying: float, spec: ProductSpec, implied_vols: Mapping[str, float],
                as_of: date, rate: float) -> float:
    """SPAN-like requirement (USD): worst scenario loss of the naked futures options together."""
    ivs = []
    for o in shorts:
        if o.contract.key not in implied_vols:
            raise ValueError(f"implied_vols has no entry for {o.contract.key} (needed for its SPAN-like margin)")
        ivs.append(_finite(implied_vols[o.contract.key], f"implied_vols[{o.contract.key}]", positive=True))
    sigma = np.array(ivs)
    strikes = np.array([o.strike for o in shorts])
    years = np.array([(o.expiry - as_of).days / DAYS_PER_YEAR for o in shorts])
    rights = np.array(["call" if o.is_call else "put" for o in shorts])
    size = np.array([-o.count * o.multiplier for o in shorts])  # positive USD per point
    move = _span_move(spec)
    # the base and every scenario (each move with the volatility down, then up) priced in one call:
    # row 0 the base, then one row per scenario, each row the shorts in order
    scenarios = [(underlying, sigma)] + [(underlying * (1.0 + step * move), sigma * (1.0 + shift))
                                         for step in SPAN_MOVE_STEPS for shift in (-SPAN_VOL_SHIFT, SPAN_VOL_SHIFT)]
    count = len(scenarios)
    prices = black76_price(np.tile(rights, count), np.repeat([price for price, _ in scenarios], len(shorts)),
                           np.tile(strikes, count), np.tile(years, count), rate,
                           np.concatenate([vols for _, vols in scenarios])).reshape(count, len(shorts))
    worst = 0.0
    for shocked in prices[1:]:
        worst = max(worst, float(np.sum(size * (shocked - prices[0]))))
    return worst


def estimate_margin(holdings: Sequence[Holding], underlying_price: float, option_prices: Mapping[str, float],
                    implied_vols: Mapping[str, float], as_of: date | datetime, rate: float = 0.04,
                    dividend_yield: float = 0.0) -> float:
    """Estimated buying power (USD, >= 0) of a whole structure on one underlying root.

    Args:
        holdings: (Contract, signed quantity) pairs: option contracts, shares (quantity in
            shares) or futures (contracts); repeated contracts are summed.
        underlying_price: spot price, or the futures price for futures and futures options.
        option_prices: Contract.key -> current option price (price units, >= 0), every option.
        implied_vols: Contract.key -> implied volatility (fraction); needed for naked futures
            options only.
        as_of: the valuation date (a datetime's date is used) for times to expiry.
        rate: continuously compounded risk-free rate for the Black-76 repricing.
        dividend_yield: accepted for interface symmetry with the BSM models; the Reg-T rules do
            not use it (validated only).

    Raises:
        TypeError: an item of `holdings` is not a (Contract, integer quantity) pair.
        ValueError: a non-finite or non-positive underlying price, a missing or non-finite price
            or implied volatility (the message names the contract), an expired option, holdings
            on several roots or an unknown root.
    """
    spot = _finite(underlying_price, "underlying_price", positive=True)
    rate = _finite(rate, "rate")
    _finite(dividend_yield, "dividend_yield")
    today = as_of.date() if isinstance(as_of, datetime) else as_of
    lines = _merge(holdings)
    if not lines:
        return 0.0
    spec = _spec_of(lines)
    total, shares, options = 0.0, 0, []
    for contract, quantity in lines:
        if contract.kind == ContractKind.EQUITY:
            shares += quantity
        elif contract.kind == ContractKind.FUTURE:
            total += abs(quantity) * spot * _span_move(spec) * spec.future_multiplier
        else:
            assert contract.expiry is not None
            if contract.expiry < today:
                raise ValueError(f"option {contract.key} expired before {today}")
            if contract.key not in option_prices:
                raise ValueError(f"option_prices has no entry for {contract.key}")
            price = _finite(option_prices[contract.key], f"option_prices[{contract.key}]", non_negative=True)
            options.append(_Option(contract, quantity, price, spec.multiplier))
    total += REG_T_SHARES_FRACTION * abs(shares) * spot
    groups, leftover = _pair_same_expiry(options)
    diagonal, naked = _pair_later_longs(groups, leftover)
    total += diagonal
    for group in groups.values():
        cost = sum(o.count * o.price * o.multiplier for o in group)
        total += max(0.0, cost - _payoff_minimum(group))
    if shares > 0:
        naked = _cover_calls_with_shares(naked, shares)
    if naked:
        if spec.option_model == "black76":
            total += _span_naked(naked, spot, spec, implied_vols, today, rate)
        else:
            total += _reg_t_naked(naked, spot, spec)
    return float(total)


def _cover_calls_with_shares(shorts: list[_Option], shares: int) -> list[_Option]:
    """Remove short calls covered by long shares (`multiplier` shares each), nearest the money first."""
    leftover = []
    for short in sorted(shorts, key=_Option.value_rank, reverse=True):
        if short.is_call:
            covered = min(-short.count, int(shares // short.multiplier))
            shares -= int(covered * short.multiplier)
            if covered < -short.count:
                leftover.append(_Option(short.contract, short.count + covered, short.price, short.multiplier))
        else:
            leftover.append(short)
    return leftover
