"""Product choice by date and size (SPEC sections 1, 3, 5): a strategy with a list of products
(`lt112_products`, `futures_strangle_products`) trades the first one that

1. has listed options on the day (helpers.expiry_calendar.options_listed_from: /MES from
   2020-08-31, /MCL from 2022-06-06, /MGC from 2023-10-02), and
2. whose one unit passes the 2% rule (its loss at the stop is at most `risk_per_trade_risk` of net
   liquidation) and the strategy's per-position buying-power cap.

Micro contracts stay the unit at every account size: the sizer trades several lots of them. A
full-size root is tried before its micro root only where the caller lists it first (the futures
strangle from $75,000): one full-size unit then replaces 10 micro units at the same per-contract
fee, so it costs less in fees, and it is chosen only when that one unit passes both rules.
The chosen product and why the ones before it were passed over end the intent's reason (journaled
with the order); when none fits, the skip reason lists every product's refusal.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from helpers.expiry_calendar import options_listed_from
from strategies.base import DecisionContext, Proposal, Strategy


def unit_problem(proposal: Proposal, net_liquidation: float, per_trade_risk: float) -> str | None:
    """Why one unit of the proposal fails the 2% rule or its buying-power cap, or None."""
    intent = proposal.intent
    budget = per_trade_risk * net_liquidation
    if not intent.max_loss_per_unit <= budget:
        return (f"one unit risks ${intent.max_loss_per_unit:,.0f} at the stop, above {per_trade_risk:.0%} "
                f"of net liquidation (${budget:,.0f})")
    cap = proposal.buying_power_cap * net_liquidation
    if not intent.margin_per_unit <= cap:
        return (f"one unit needs ${intent.margin_per_unit:,.0f} of buying power, above the "
                f"{proposal.buying_power_cap:.0%} cap (${cap:,.0f})")
    return None


def choose_product(strategy: Strategy, ctx: DecisionContext, products: Sequence[str],
                   propose: Callable[[str], Proposal | None]) -> Proposal | None:
    """The proposal of the first product in `products` that is listed today and whose one unit
    passes the 2% rule and its buying-power cap (module docstring); `propose(root)` builds a
    product's proposal or returns None after `strategy.skip(reason)`. None (with the reasons as
    the strategy's skip reason) when no product fits."""
    passed_over: list[str] = []
    for root in products:
        listed = options_listed_from(root)
        if ctx.today < listed:
            passed_over.append(f"{root} options listed from {listed.isoformat()}")
            continue
        proposal = propose(root)
        if proposal is None:
            reason = strategy.last_skip_reason
            passed_over.append(reason if reason.startswith(f"{root}: ") else f"{root}: {reason}")
            continue
        problem = unit_problem(proposal, ctx.account.net_liquidation, strategy.config.risk.per_trade_risk)
        if problem is not None:
            passed_over.append(f"{root}: {problem}")
            continue
        why = f"product {root}" + (f" (passed over: {'; '.join(passed_over)})" if passed_over else "")
        return replace(proposal, intent=replace(proposal.intent, reason=f"{proposal.intent.reason}; {why}"))
    return strategy.skip("no product fits: " + "; ".join(passed_over))
