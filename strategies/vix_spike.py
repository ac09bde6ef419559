"""VIX spike deployment: short put premium while the regime is EXTREME (SPEC section 2).

While the regime is EXTREME and the episode's spike budget (clamp(20% of net liquidation,
$5,000, $50,000), fixed when the regime became EXTREME) has money left, sell put premium:
a SPY put credit spread at the listed expiry nearest 45 DTE, short about 20 delta, long
exactly `spread_width` points lower (or within `order_width_tolerance`, else skipped); or, with `vix_spike_use_futures`, a short /MES put (/ES from $75,000
of net liquidation) at the expiry nearest 60 DTE, about 15 delta. Any regular-hours minute may
enter, one attempt per 30 minutes at most. The risk gate caps margin x units at the remaining
budget; a structure whose single unit does not fit is refused here already.

Exits: 50% of the credit (profit_target), a loss of 200% of the credit (stop_loss), 21 DTE
(time_exit).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from config.constants import Regime
from config.loader import FrameworkConfig
from config.strategy_spec import OptionWindow, PositionCap, RiskPolicy, StrategySpec
from core.exit_reasons import ExitReason
from core.position import Position
from core.types import PUT, OrderIntent, Purpose
from helpers.exchange_calendar import is_nyse_open
from risk.account_phases import FULL_SIZE, futures_size_allowed
from strategies.base import DecisionContext, Proposal, Strategy, kelly_prior, make_intent
from strategies.structures import DteWindow, ExitRules, LegRule, build_structure, managed_exit, multiplier_of

# What the rest of the framework knows about this strategy (config/strategy_spec.py). No entry
# window: it may enter in any regular-hours minute of an EXTREME regime, bounded by the spike budget.
# With `use_futures` it trades /MES (/ES from $75,000), else SPY put spreads.
SPEC = StrategySpec(
    key="vix_spike",
    option_windows=lambda p: (("MES", OptionWindow(p.exit_dte, p.futures_dte + EXPIRY_SEARCH_DAYS, 0.60, 1.05))
                              if p.use_futures else
                              (SPREAD_ROOT, OptionWindow(p.exit_dte, p.target_dte + EXPIRY_SEARCH_DAYS, 0.60, 1.05)),),
    risk=RiskPolicy(position_cap=PositionCap.SPIKE_BUDGET),
    product=lambda p: "MES" if p.use_futures else SPREAD_ROOT,
)

SPREAD_ROOT = "SPY"
ATTEMPT_INTERVAL = timedelta(minutes=30)
# Expiries searched around the target: from just past the exit DTE to this many days beyond it.
EXPIRY_SEARCH_DAYS = 30


class VixSpikeDeployment(Strategy):
    """Spike deployment into SPY put credit spreads (or /MES, /ES short puts) in an EXTREME regime.

    Built on the shared builder; sized by the episode's budget instead of a per-position cap."""

    key = SPEC.key
    exits = frozenset({ExitReason.PROFIT_TARGET, ExitReason.STOP_LOSS, ExitReason.TIME_EXIT})

    def __init__(self, config: FrameworkConfig) -> None:
        super().__init__(config)
        self.params = config.vix_spike

    def is_entry_window(self, ctx: DecisionContext) -> bool:
        if not self.params.enabled or ctx.regime != Regime.EXTREME or not is_nyse_open(ctx.now):
            return False
        last = self.memory.get("last_attempt")
        return last is None or ctx.now - datetime.fromisoformat(last) >= ATTEMPT_INTERVAL

    def next_entry_check(self, ctx: DecisionContext) -> datetime | None:
        if not self.params.enabled or ctx.regime != Regime.EXTREME:
            return None  # a regime change is an event: the trading system asks again then
        last = self.memory.get("last_attempt")
        return ctx.now if last is None else max(ctx.now, datetime.fromisoformat(last) + ATTEMPT_INTERVAL)

    def propose_entry(self, ctx: DecisionContext, positions: list[Position]) -> Proposal | None:
        p = self.params
        self.memory["last_attempt"] = ctx.now.isoformat()
        if ctx.regime != Regime.EXTREME:
            return self.skip(f"spike deployment only in EXTREME (regime {ctx.regime.value if ctx.regime else None})")
        budget = ctx.account.spike_budget_remaining
        net_liq = ctx.account.net_liquidation
        if not budget > 0:
            return self.skip(f"spike deployment budget used up ({budget:,.2f} left)")
        if not net_liq > 0:
            return self.skip(f"spike deployment needs a positive net liquidation (got {net_liq!r})")
        if p.use_futures:
            root = "ES" if futures_size_allowed(net_liq) == FULL_SIZE else "MES"
            window = DteWindow(p.futures_dte, p.exit_dte + 1, p.futures_dte + EXPIRY_SEARCH_DAYS)
            legs: tuple[LegRule, ...] = (LegRule(PUT, -1, delta=p.futures_delta),)
        else:
            root = SPREAD_ROOT
            window = DteWindow(p.target_dte, p.exit_dte + 1, p.target_dte + EXPIRY_SEARCH_DAYS)
            legs = (LegRule(PUT, 1, offset=-p.spread_width, anchor=1), LegRule(PUT, -1, delta=p.short_delta))
        chain = ctx.market.chain(root, window.low, window.high)
        if chain is None:
            return self.skip(f"spike deployment: no {root} expiry {window.low}-{window.high} DTE")
        structure = build_structure(chain, legs, (window,), ctx.today, width_tolerance=self.config.order.width_tolerance)
        if isinstance(structure, str):
            return self.skip(f"spike deployment: {structure}")
        expiry = structure.expiries[0]
        if any(expiry in position.expiries() for position in positions):
            return self.skip(f"spike deployment already holds the {expiry} expiry")
        if structure.credit <= 0:
            return self.skip("spike deployment structure collects no credit")
        stop = p.stop_loss * structure.credit * multiplier_of(root)
        risk = min(stop, structure.max_loss) if len(legs) > 1 else stop
        if structure.margin > budget:
            return self.skip(f"spike deployment: margin {structure.margin:,.2f} per unit exceeds the budget left "
                             f"{budget:,.2f}")
        name = f"{root} short put" if len(legs) == 1 else f"{root} put credit spread"
        vix_text = "n/a" if ctx.vix is None else f"{ctx.vix:.2f}"
        intent = make_intent(ctx, self.key, Purpose.OPEN, structure.legs, self.config.risk.max_contracts,
                             f"spike deployment: {name} {expiry} ({(expiry - ctx.today).days} DTE), credit "
                             f"{structure.credit:.2f}, VIX {vix_text}", max_loss_per_unit=risk,
                             margin_per_unit=structure.margin, price_bound=0.0)  # a credit, at the fill too
        if intent is None:
            return self.skip("spike deployment: quotes missing for a leg")
        return Proposal(intent, kelly_prior(p), min(1.0, budget / net_liq), structure.credit * multiplier_of(root))

    def manage(self, ctx: DecisionContext, position: Position) -> list[OrderIntent]:
        p = self.params
        return managed_exit(ctx, position, ExitRules(p.profit_target, p.stop_loss, exit_dte=p.exit_dte))
