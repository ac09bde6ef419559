"""Short SPX box spread: borrowing at the box's implied rate (SPEC section 6, phase 3).

A LONG box is a bull call spread plus a bear put spread on the same strikes K1 < K2: +1 call K1,
-1 call K2, +1 put K2, -1 put K1. At expiry it is worth exactly K2 - K1 whatever the index does
(the call spread pays max(0, min(S, K2) - K1), the put spread the rest), so its price is the width
discounted. The SHORT box traded here is the opposite: -1 call K1, +1 call K2, -1 put K2, +1 put K1;
it collects that price now and owes (K2 - K1) x 100 at expiry, the difference being the interest.
SPX only: European exercise (no early assignment breaks the box) and cash settlement.

Entry (weekly window from the parameters): the listed expiry nearest `target_dte` within
`dte_min`-`dte_max` (365-730); K1 the strike nearest the index, K2 = K1 + `width` (500; the nearest
listed strike at or above), all four legs in one combo. The implied annual rate of borrowing is
r = (width / price) ^ (1 / T) - 1, price = the long box's mid per unit, T = calendar days / 365 to
expiry; the box opens only when r < `max_rate` (2%), else the entry is skipped naming r. The
order's price bound is the credit at which r = `max_rate`, width / (1 + max_rate) ^ T: the price
ladder never accepts less (a higher rate).
Risk per unit: the interest, (K2 - K1 - price) x 100, the loss at expiry relative to the credit.
A mid at or below 0 or at or above the width (no positive interest) is a quote error: skipped.
Margin per unit: the width x 100, what brokers hold for a short box (see the note below).

Management: hold; buy the box back at `exit_dte` (30) DTE (time_exit).
"""
from __future__ import annotations

import dataclasses

from config.advanced_parameters import weekly_entry_window
from config.strategy_spec import OptionWindow, RiskPolicy, StrategySpec
from core.types import CALL, PUT, OrderIntent, Position
from strategies.advanced import AdvancedStrategy
from strategies.base import DecisionContext, Proposal
from strategies.structures import ExitRules, LegRule, managed_exit, multiplier_of

# What the rest of the framework knows about this strategy (config/strategy_spec.py); it opens
# positions from its `min_phase` parameter on.
SPEC = StrategySpec(
    key="box_spread",
    entry_windows=weekly_entry_window,
    option_windows=lambda p: ((p.product, OptionWindow(p.exit_dte, p.dte_max, 0.80, 1.25)),),
    risk=RiskPolicy(min_phase=None),
)

DAYS_PER_YEAR = 365.0
# risk/margin.estimate_margin pairs the legs of one expiry into a single defined-risk group and
# charges its worst loss at expiry, which for a short box is only the interest (width - credit); a
# broker holds about the full width: Reg-T margins it as a bear call spread plus a bull put spread,
# each charged its width less its credit, together the width plus the interest; brokers hold the
# width. The proposal carries width x multiplier.


def implied_rate(width: float, price: float, years: float) -> float:
    """Annual rate (annual compounding) at which `price` now grows to `width` in `years`."""
    return (width / price) ** (1.0 / years) - 1.0


class BoxSpread(AdvancedStrategy):
    """Short SPX box (-C K1, +C K2, -P K2, +P K1) while its implied rate is below `max_rate`."""

    key = SPEC.key
    exits = frozenset({"time_exit"})

    def propose(self, ctx: DecisionContext, positions: list[Position]) -> Proposal | None:
        p = self.params
        chain = ctx.market.chain(p.product, p.dte_min, p.dte_max)
        if chain is None or len(chain) == 0:
            return self.skip(f"no {p.product} options listed {p.dte_min}-{p.dte_max} DTE")
        legs = (LegRule(CALL, -1, otm=0.0), LegRule(CALL, 1, offset=p.width, anchor=0),
                LegRule(PUT, -1, offset=p.width, anchor=0), LegRule(PUT, 1, offset=0.0, anchor=0))
        structure = self.build(ctx, chain, legs)
        if isinstance(structure, str):
            return self.skip(structure)
        k1, k2 = structure.strike(0), structure.strike(1)
        if (structure.strike(3), structure.strike(2)) != (k1, k2):
            return self.skip(f"put strikes {structure.strike(3):g}/{structure.strike(2):g} do not match "
                             f"the call strikes {k1:g}/{k2:g}")
        price, width = structure.credit, k2 - k1
        if not 0 < price < width:
            return self.skip(f"box price {price:.2f} outside (0, {width:g}): no positive interest, quotes suspect")
        expiry = structure.expiries[0]
        dte = (expiry - ctx.today).days
        rate = implied_rate(width, price, dte / DAYS_PER_YEAR)
        if rate >= p.max_rate:
            return self.skip(f"implied rate {rate:.2%} not below {p.max_rate:.2%} (box {price:.2f} for {width:g})")
        multiplier = multiplier_of(p.product)
        structure = dataclasses.replace(structure, margin=width * multiplier)
        reason = (f"short box {k1:g}/{k2:g} {expiry} ({dte} DTE), credit {price:.2f}, "
                  f"implied rate {rate:.2%}")
        bound = width / (1.0 + p.max_rate) ** (dte / DAYS_PER_YEAR)
        return self.proposal(ctx, structure, reason, (width - price) * multiplier, price_bound=-bound)

    def manage(self, ctx: DecisionContext, position: Position) -> list[OrderIntent]:
        return managed_exit(ctx, position, ExitRules(exit_dte=self.params.exit_dte))
