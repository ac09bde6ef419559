"""The risk gate (SPEC section 4): the one door every order intent passes before a broker.

`RiskGate.evaluate(intent, account)` runs the order-sanity check on every intent, opening or
closing, then (for opening intents only) the limit checks of risk/risk_checks.py in order. The
quantity only ever decreases; the first deny wins. The result is a core.types.RiskDecision:
APPROVE (unchanged quantity, reason "ok"), RESIZE (smaller quantity, reason = the check that
set the final size, details of every resize in `detail`) or DENY (quantity 0).

Closing intents (Purpose.CLOSE) are never blocked by position, buying-power, group, drawdown,
VIX or regime limits; they are refused only when malformed, because a malformed order is never
sent.

Order sanity (reason "order_sanity:<what>"):
* quantity: an integer >= 1; legs: 1-4 `Leg` objects on ONE underlying root (a combo order is
  per underlying), no contract in two legs (so no leg both opens and closes the same contract),
  leg ratios with greatest common divisor 1;
* limit price finite and not exactly 0; natural price, when given, finite;
* no contract expiring before the account's date;
* opening intents: `max_loss_per_unit` and `margin_per_unit` finite and >= 0;
* strike order, checked for these shapes (all legs options of one expiry; other shapes, e.g.
  calendars, ratio spreads, jade lizards, are not strike-checked):
  - vertical (same right, ratios +1/-1): the sign of the limit must match the structure - a
    debit (limit > 0) exactly when the bought option is the more valuable one (put: higher
    strike, call: lower strike). An opening credit spread thus has its long wing further out of
    the money; a closing order is judged by its own legs the same way;
  - strangle/straddle (a put and a call, same-sign ratios): put strike <= call strike;
  - iron condor / iron butterfly (a put vertical and a call vertical): both verticals follow
    the vertical rule with the order's sign, and max(put strikes) <= min(call strikes); a box
    (put strikes == call strikes) needs only the vertical rule;
  - butterfly (same right, ratios 1/-2/1 or -1/2/-1): the double leg has the middle strike;
  - 1-1-2 (same right, ratios a/-a/-2a): by value, the a leg is the most valuable strike, the
    -a leg the middle, the -2a leg the least valuable (the furthest out of the money).
"""
from __future__ import annotations

import math
from functools import reduce

from config.loader import FrameworkConfig
from core.account import AccountSnapshot
from core.types import ContractKind, Leg, OrderIntent, RiskDecision, Verdict
from risk.risk_checks import OPENING_CHECKS, Policies, approve, deny


def _is_finite_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _more_valuable(a: Leg, b: Leg) -> bool:
    """Whether option leg a is worth more than b (same right and expiry, different strikes)."""
    assert a.contract.strike is not None and b.contract.strike is not None
    if a.contract.right == "call":
        return a.contract.strike < b.contract.strike
    return a.contract.strike > b.contract.strike


def _vertical_direction(legs: list[Leg]) -> str:
    """"debit" when the bought leg of a 1:1 vertical is the more valuable one, else "credit"."""
    bought = next(leg for leg in legs if leg.ratio > 0)
    sold = next(leg for leg in legs if leg.ratio < 0)
    return "debit" if _more_valuable(bought, sold) else "credit"


def _is_vertical(legs: list[Leg]) -> bool:
    return (len(legs) == 2 and legs[0].contract.right == legs[1].contract.right
            and sorted(leg.ratio for leg in legs) == [-1, 1])


def strike_order_problem(legs: tuple[Leg, ...], limit_price: float) -> str | None:
    """Describe a strike-order error of the recognised shapes (see the module doc), or None."""
    if not legs or any(leg.contract.kind != ContractKind.OPTION for leg in legs):
        return None
    if len({leg.contract.expiry for leg in legs}) != 1:
        return None
    sign = "debit" if limit_price > 0 else "credit"
    puts = [leg for leg in legs if leg.contract.right == "put"]
    calls = [leg for leg in legs if leg.contract.right == "call"]
    strike = {id(leg): float(leg.contract.strike or 0.0) for leg in legs}
    if _is_vertical(list(legs)):
        direction = _vertical_direction(list(legs))
        return None if direction == sign else f"vertical spread is a {direction} but the limit is a {sign}"
    if len(legs) == 2 and len(puts) == 1 and len(calls) == 1 and puts[0].ratio * calls[0].ratio > 0:
        if strike[id(puts[0])] > strike[id(calls[0])]:
            return "strangle: put strike above call strike"
        return None
    if len(legs) == 4 and _is_vertical(puts) and _is_vertical(calls):
        directions = {_vertical_direction(puts), _vertical_direction(calls)}
        if directions != {sign}:
            return f"iron condor/box: verticals are {sorted(directions)} but the limit is a {sign}"
        put_strikes = sorted(strike[id(leg)] for leg in puts)
        call_strikes = sorted(strike[id(leg)] for leg in calls)
        if put_strikes != call_strikes and put_strikes[-1] > call_strikes[0]:
            return "iron condor: a put strike is above a call strike"
        return None
    if len(legs) == 3 and (len(puts) == 3 or len(calls) == 3):
        by_value = sorted(legs, key=lambda leg: strike[id(leg)], reverse=legs[0].contract.right == "put")
        ratios = [leg.ratio for leg in by_value]  # most valuable first
        pattern = sorted(ratios)
        if pattern in ([-2, 1, 1], [-1, -1, 2]):
            return None if abs(ratios[1]) == 2 else "butterfly: the double leg is not the middle strike"
        if pattern in ([-2, -1, 1], [-1, 1, 2]):
            a = 1 if pattern == [-2, -1, 1] else -1
            if ratios != [a, -a, -2 * a]:
                return "1-1-2: strikes out of order (by value: the single leg, the opposite single leg, the double)"
    return None


def order_sanity_problem(intent: OrderIntent, account: AccountSnapshot) -> tuple[str, str] | None:
    """(what, detail) of the first malformation of an intent, or None when it is well-formed."""
    quantity = intent.quantity
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        return "quantity", f"quantity must be an integer >= 1, got {quantity!r}"
    legs = intent.legs
    if not isinstance(legs, tuple) or not 1 <= len(legs) <= 4 or not all(isinstance(leg, Leg) for leg in legs):
        return "leg_count", f"an order needs 1 to 4 legs, got {len(legs) if isinstance(legs, tuple) else legs!r}"
    if any(isinstance(leg.ratio, bool) or not isinstance(leg.ratio, int) or leg.ratio == 0 for leg in legs):
        return "leg_ratio", "leg ratios must be non-zero integers"
    if len(intent.roots) != 1:
        return "mixed_roots", f"one combo order trades one underlying, got {sorted(intent.roots)}"
    keys = [leg.contract.key for leg in legs]
    if len(set(keys)) != len(keys):
        return "duplicate_leg", f"a contract appears in two legs: {sorted(k for k in set(keys) if keys.count(k) > 1)}"
    divisor = reduce(math.gcd, (abs(leg.ratio) for leg in legs))
    if divisor != 1:
        return "ratio_gcd", f"leg ratios {[leg.ratio for leg in legs]} share the factor {divisor}"
    if not _is_finite_number(intent.limit_price):
        return "limit_price", f"limit price must be finite, got {intent.limit_price!r}"
    if intent.limit_price == 0:
        return "zero_limit", "a limit price of exactly 0 is refused"
    if intent.natural_price is not None and not _is_finite_number(intent.natural_price):
        return "natural_price", f"natural price must be finite, got {intent.natural_price!r}"
    today = account.time.date()
    expired = sorted(leg.contract.key for leg in legs if leg.contract.expiry is not None and leg.contract.expiry < today)
    if expired:
        return "expired", f"contracts expired before {today.isoformat()}: {expired}"
    if not intent.is_closing:
        for name in ("max_loss_per_unit", "margin_per_unit"):
            value = getattr(intent, name)
            if not (_is_finite_number(value) and value >= 0):
                return name, f"{name} must be finite and >= 0 for an opening order, got {value!r}"
    # A closing order mirrors whatever is held (after partial fills, expiries or assignments a
    # structure need not keep its opening shape), so the strike order is checked on openings only.
    problem = None if intent.is_closing else strike_order_problem(legs, intent.limit_price)
    if problem is not None:
        return "strike_order", problem
    return None


class RiskGate:
    """The single risk gate: approve, resize or deny each order intent with a reason code.

    Args:
        config: the framework configuration (risk parameters and per-strategy caps).
        policies: each strategy's risk policy by key (strategies/registry.py `risk_policies`); an
            intent of a strategy without one is denied.
    """

    def __init__(self, config: FrameworkConfig, policies: Policies) -> None:
        self._config = config
        self.policies = policies

    def spike_deployment(self, strategy: str) -> bool:
        """Whether `strategy` is the spike deployment (sized against the spike budget)."""
        policy = self.policies.get(strategy)
        return policy is not None and policy.spike_deployment

    def evaluate(self, intent: OrderIntent, account: AccountSnapshot) -> RiskDecision:
        """Judge `intent` against `account`; never raises for a malformed intent (it is denied)."""
        problem = order_sanity_problem(intent, account)
        if problem is not None:
            return deny(f"order_sanity:{problem[0]}", problem[1])
        if intent.is_closing:
            return approve(intent)
        current = intent
        resize_reason, resize_details = "", []
        for check in OPENING_CHECKS:
            decision = check(current, account, self._config, self.policies)
            if decision.verdict == Verdict.DENY:
                return decision
            if decision.verdict == Verdict.RESIZE and decision.quantity < current.quantity:
                current = current.with_quantity(decision.quantity)
                resize_reason = decision.reason
                resize_details.append(f"{decision.reason}: {decision.detail}")
        if current.quantity == intent.quantity:
            return approve(intent)
        return RiskDecision(Verdict.RESIZE, current.quantity, resize_reason, "; ".join(resize_details))
