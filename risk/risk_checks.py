"""The portfolio limit checks of the risk gate (SPEC sections 1, 2 and 4), one small function each.

Every check has the signature `(intent, account, config, policies) -> RiskDecision`: APPROVE with
the intent's quantity, RESIZE to a smaller quantity, or DENY with a stable reason code. `policies`
holds each strategy's risk policy by key (declared beside the strategy, config/strategy_spec.py);
a strategy without one is unknown and opens nothing. The gate
(risk/risk_gate.py) runs them in order on opening intents only, so none of them looks at closing
orders. The size multipliers (drawdown tier, regime, intraday spike) are the sizer's job; the
gate only enforces limits. The sizing limits (per-trade risk, per-position cap, buying power, spike
budget, contract cap) are those of core/limits.py, which the sizer uses too (`order_limits`).

Interpretations (documented here, relied on by the tests):

* An intent whose `position_id` names an open position ADDS to it: it is not a new position for
  the position count, the one-per-strategy rule of phase 1 or the correlation groups (which then
  judge the position's other groups and expiries without it).
* Buying power: margin_used + the order's margin <= min(phase cap, regime cap, 1 - reserve) x
  net liquidation, i.e. the 20% reserve means total use never exceeds 80%. In EXTREME the regime
  cap is replaced by the spike budget (which only the spike deployment may use).
* Per-position cap: the position's margin (existing margin for an add, plus the order's) <= the
  strategy's `buying_power_cap` x net liquidation; for a strategy whose position holds rungs (the
  LEAP put ladders) the cap is per rung (the order alone); the spike deployment is bounded by the
  spike budget instead (RiskPolicy.position_cap).
* Contract cap: the order's quantity (units of its structure) <= `risk_phase1_max_contracts` in
  phase 1, else `risk_max_contracts`. Adds are capped per order: an add either completes the
  unit (the IPMCC's weekly call) or is a rung that the ladder caps itself.
* `entries_paused_until` is the last date (inclusive) on which entries are paused.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from config.constants import PRODUCTS, REGIME_TABLE, Regime
from config.loader import FrameworkConfig
from config.strategy_spec import PositionCap, RiskPolicy
from core.account import AccountSnapshot, OpenPositionSummary
from core.limits import Limits, account_limits, units_within
from core.types import OrderIntent, RiskDecision, Verdict
from risk.account_phases import FULL_SIZE_FUTURES_ROOTS, futures_size_allowed, phase_rule
from risk.breakers import reached
from risk.correlation_groups import group_headroom

Policies = Mapping[str, RiskPolicy]
Check = Callable[[OrderIntent, AccountSnapshot, FrameworkConfig, Policies], RiskDecision]

_REGIME_CAP = {rule.regime: rule.max_buying_power for rule in REGIME_TABLE}


def approve(intent: OrderIntent) -> RiskDecision:
    """The unchanged intent passes this check."""
    return RiskDecision(Verdict.APPROVE, intent.quantity, "ok")


def deny(reason: str, detail: str) -> RiskDecision:
    """Refuse the intent with a stable reason code and a human-readable detail."""
    return RiskDecision(Verdict.DENY, 0, reason, detail)


def limit_quantity(intent: OrderIntent, allowed: int | None, reason: str, detail: str) -> RiskDecision:
    """APPROVE when `allowed` (None = unbounded) covers the quantity, RESIZE when 1 <= allowed < it,
    DENY when nothing fits."""
    if allowed is None or allowed >= intent.quantity:
        return approve(intent)
    if allowed < 1:
        return deny(reason, detail)
    return RiskDecision(Verdict.RESIZE, allowed, reason, detail)


def existing_position(intent: OrderIntent, account: AccountSnapshot) -> OpenPositionSummary | None:
    """The open position this intent adds to, or None for a new position."""
    if intent.position_id is None:
        return None
    for position in account.open_positions:
        if position.position_id == intent.position_id:
            return position
    return None


def order_limits(intent: OrderIntent, account: AccountSnapshot, config: FrameworkConfig,
                 policies: Policies) -> Limits:
    """The limits (core/limits.py) on `intent` as sent from `account`.

    In EXTREME the regime row has no cap of its own (new risk is bounded by the spike budget). An
    add counts the margin its position holds against a whole-position cap, not against a rung's.
    """
    regime = Regime(account.regime)
    policy = policies.get(intent.strategy)
    cap_kind = None if policy is None else policy.position_cap
    capped = cap_kind in (PositionCap.POSITION, PositionCap.RUNG)
    existing = existing_position(intent, account)
    held = existing.margin if existing is not None and cap_kind == PositionCap.POSITION else 0.0
    return account_limits(
        account, config.risk, quantity=intent.quantity, phase_buying_power=phase_rule(account.phase).max_buying_power,
        regime_buying_power=1.0 if regime == Regime.EXTREME else _REGIME_CAP[regime],
        buying_power_cap=getattr(config, intent.strategy).buying_power_cap if capped else None,
        deployment_budget=account.spike_budget_remaining if policy is not None and policy.spike_deployment else None,
        position_margin=held)


def _finite(value: float) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_account_valid(intent: OrderIntent, account: AccountSnapshot, config: FrameworkConfig,
                        policies: Policies) -> RiskDecision:
    """Deny new risk when the account snapshot itself is unusable ("account_invalid")."""
    problems = []
    if not (_finite(account.net_liquidation) and account.net_liquidation > 0):
        problems.append(f"net_liquidation={account.net_liquidation!r}")
    for name in ("margin_used", "high_water_mark", "day_start_value", "spike_budget_remaining"):
        value = getattr(account, name)
        if not (_finite(value) and value >= 0):
            problems.append(f"{name}={value!r}")
    if account.phase not in (1, 2, 3, 4):
        problems.append(f"phase={account.phase!r}")
    if account.regime not in {regime.value for regime in Regime}:
        problems.append(f"regime={account.regime!r}")
    if not (isinstance(account.losing_streak_today, int) and account.losing_streak_today >= 0):
        problems.append(f"losing_streak_today={account.losing_streak_today!r}")
    for position in account.open_positions:
        if not (_finite(position.margin) and position.margin >= 0):
            problems.append(f"margin of {position.position_id}={position.margin!r}")
    return deny("account_invalid", "; ".join(problems)) if problems else approve(intent)


def check_entries_paused(intent: OrderIntent, account: AccountSnapshot, config: FrameworkConfig,
                         policies: Policies) -> RiskDecision:
    """Deny while a post-liquidation pause lasts (through `entries_paused_until`, inclusive)."""
    until = account.entries_paused_until
    if until is not None and account.time.date() <= until:
        return deny("entries_paused", f"new entries paused through {until.isoformat()}")
    return approve(intent)


def check_vix_usable(intent: OrderIntent, account: AccountSnapshot, config: FrameworkConfig,
                     policies: Policies) -> RiskDecision:
    """Deny new risk when the VIX is missing, stale or invalid."""
    return approve(intent) if account.vix_usable else deny("vix_unusable", "VIX missing, stale or invalid")


def check_drawdown(intent: OrderIntent, account: AccountSnapshot, config: FrameworkConfig,
                   policies: Policies) -> RiskDecision:
    """Deny at or beyond the drawdown stop tier (15% below the high-water mark)."""
    limit = config.risk.drawdown_stop
    if reached(account.drawdown, limit):
        return deny("drawdown_stop", f"drawdown {account.drawdown:.2%} >= {limit:.2%}")
    return approve(intent)


def check_daily_loss(intent: OrderIntent, account: AccountSnapshot, config: FrameworkConfig,
                     policies: Policies) -> RiskDecision:
    """Deny when the loss since the day's start reaches the daily limit (5%)."""
    limit = config.risk.daily_loss_limit
    if reached(account.daily_loss, limit):
        return deny("daily_loss", f"daily loss {account.daily_loss:.2%} >= {limit:.2%}")
    return approve(intent)


def check_losing_streak(intent: OrderIntent, account: AccountSnapshot, config: FrameworkConfig,
                        policies: Policies) -> RiskDecision:
    """Deny after `risk_max_consecutive_losses` losing closes in a row today."""
    limit = config.risk.max_consecutive_losses
    if account.losing_streak_today >= limit:
        return deny("losing_streak", f"{account.losing_streak_today} losing closes in a row (limit {limit})")
    return approve(intent)


def check_regime(intent: OrderIntent, account: AccountSnapshot, config: FrameworkConfig,
                 policies: Policies) -> RiskDecision:
    """EXTREME: only the spike deployment; a strategy refusing the regime (RiskPolicy.refusal): nothing."""
    regime = Regime(account.regime)
    policy = policies.get(intent.strategy)
    if regime == Regime.EXTREME and not (policy is not None and policy.spike_deployment):
        admitted = ", ".join(key for key, admitted_policy in policies.items() if admitted_policy.spike_deployment)
        return deny("regime_extreme", f"regime EXTREME admits only {admitted}")
    refusal = None if policy is None else policy.refusal
    if refusal is not None and regime in refusal.regimes:
        return deny(refusal.reason, f"no {refusal.what} in regime {regime.value}")
    return approve(intent)


def check_spike_budget(intent: OrderIntent, account: AccountSnapshot, config: FrameworkConfig,
                       policies: Policies) -> RiskDecision:
    """The spike deployment's margin must fit the remaining spike budget (resize down)."""
    budget = order_limits(intent, account, config, policies).deployment_budget
    if budget is None:
        return approve(intent)
    return limit_quantity(intent, units_within(budget, intent.margin_per_unit), "spike_budget",
                          f"margin {intent.margin_per_unit:,.2f}/unit, spike budget left {budget:,.2f}")


def check_strategy_unlocked(intent: OrderIntent, account: AccountSnapshot, config: FrameworkConfig,
                            policies: Policies) -> RiskDecision:
    """Deny strategies that are unknown or not unlocked in the account's phase."""
    policy = policies.get(intent.strategy)
    if policy is None:
        return deny("strategy_locked", f"unknown strategy {intent.strategy!r}")
    unlock = policy.unlock_phase(getattr(config, intent.strategy))
    if account.phase < unlock:
        return deny("strategy_locked", f"{intent.strategy} unlocks in phase {unlock}, account is in {account.phase}")
    return approve(intent)


def check_product_unlocked(intent: OrderIntent, account: AccountSnapshot, config: FrameworkConfig,
                           policies: Policies) -> RiskDecision:
    """Deny unknown products and full-size futures (ES, NQ, CL, GC) below $75,000."""
    for root in sorted(intent.roots):
        if root.upper() not in PRODUCTS:
            return deny("product_locked", f"unknown product root {root!r}")
        if root.upper() in FULL_SIZE_FUTURES_ROOTS and futures_size_allowed(account.net_liquidation) != "full":
            return deny("product_locked", f"full-size {root} needs net liquidation >= 75,000 "
                                          f"(has {account.net_liquidation:,.2f}); use the micro contract")
    return approve(intent)


def check_phase_positions(intent: OrderIntent, account: AccountSnapshot, config: FrameworkConfig,
                          policies: Policies) -> RiskDecision:
    """A new position must fit the phase's maximum; phase 1 allows one position per strategy."""
    if existing_position(intent, account) is not None:
        return approve(intent)
    limit = phase_rule(account.phase).max_positions
    count = len(account.open_positions)
    if count >= limit:
        return deny("phase_max_positions", f"{count} positions open, phase {account.phase} allows {limit}")
    if account.phase == 1 and any(p.strategy == intent.strategy for p in account.open_positions):
        return deny("phase_max_positions", f"phase 1 allows one {intent.strategy} position")
    return approve(intent)


def check_contract_cap(intent: OrderIntent, account: AccountSnapshot, config: FrameworkConfig,
                       policies: Policies) -> RiskDecision:
    """The order's quantity must not exceed the phase's contract (spread unit) cap (resize down)."""
    cap = order_limits(intent, account, config, policies).contract_cap
    return limit_quantity(intent, cap, "contract_cap", f"phase {account.phase} allows {cap} units per order")


def check_correlation_groups(intent: OrderIntent, account: AccountSnapshot, config: FrameworkConfig,
                             policies: Policies) -> RiskDecision:
    """Group limits and "never two positions in the same group with the same expiry"."""
    existing = existing_position(intent, account)
    expiries = {leg.contract.expiry for leg in intent.legs if leg.contract.expiry is not None}
    result = group_headroom(intent.roots, expiries, account.open_positions, account.phase, config.risk,
                            exclude_position_id=existing.position_id if existing else None)
    return approve(intent) if result.allowed else deny(result.reason, result.detail)


def check_per_trade_risk(intent: OrderIntent, account: AccountSnapshot, config: FrameworkConfig,
                         policies: Policies) -> RiskDecision:
    """Loss at the stop of the order <= `risk_per_trade_risk` x net liquidation (resize down)."""
    budget = order_limits(intent, account, config, policies).risk_budget
    return limit_quantity(intent, units_within(budget, intent.max_loss_per_unit), "per_trade_risk",
                          f"max loss {intent.max_loss_per_unit:,.2f}/unit, budget {budget:,.2f}")


def check_per_position_cap(intent: OrderIntent, account: AccountSnapshot, config: FrameworkConfig,
                           policies: Policies) -> RiskDecision:
    """The position's margin <= its strategy's buying-power cap x net liquidation (resize down)."""
    limits = order_limits(intent, account, config, policies)
    if limits.position_budget is None or limits.position_room is None:
        return approve(intent)
    return limit_quantity(intent, units_within(limits.position_room, intent.margin_per_unit), "per_position_cap",
                          f"{intent.strategy}: margin {intent.margin_per_unit:,.2f}/unit + "
                          f"{limits.position_margin:,.2f} held, cap {limits.position_budget:,.2f}")


def check_buying_power(intent: OrderIntent, account: AccountSnapshot, config: FrameworkConfig,
                       policies: Policies) -> RiskDecision:
    """margin_used + the order's margin <= the buying-power cap x net liquidation (resize down)."""
    limits = order_limits(intent, account, config, policies)
    fraction = limits.cap_fraction
    return limit_quantity(intent, units_within(limits.headroom, intent.margin_per_unit), "buying_power",
                          f"margin {intent.margin_per_unit:,.2f}/unit, in use {account.margin_used:,.2f}, "
                          f"cap {fraction:.0%} = {fraction * account.net_liquidation:,.2f}")


# The order the gate runs them in: account state first, then what is allowed, then sizes.
OPENING_CHECKS: tuple[Check, ...] = (
    check_account_valid, check_entries_paused, check_vix_usable, check_drawdown, check_daily_loss,
    check_losing_streak, check_regime, check_strategy_unlocked, check_product_unlocked, check_phase_positions,
    check_correlation_groups, check_contract_cap, check_spike_budget, check_per_trade_risk,
    check_per_position_cap, check_buying_power,
)
