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

from datetime import date, datetime, timedelta

from config.constants import Regime
from config.loader import FrameworkConfig
from config.strategy_spec import OptionWindow, PositionCap, RiskPolicy, StrategySpec
from core.types import PUT, ChainSnapshot, Leg, OrderIntent, Position, Purpose, contract_multiplier
from core.unified_position_sizer import KellyInputs
from helpers.exchange_calendar import is_nyse_open
from risk.account_phases import FULL_SIZE, futures_size_allowed
from strategies.base import (
    DecisionContext,
    Proposal,
    Strategy,
    make_intent,
)
from strategies.chain_tools import mid_net, pick_expiry, row_at_width, row_by_delta, unit_costs
from strategies.structures import ExitRules, managed_exit

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
    """Spike deployment into SPY put credit spreads (or /MES, /ES short puts) in an EXTREME regime."""

    key = SPEC.key
    exits = frozenset({"profit_target", "stop_loss", "time_exit"})

    def __init__(self, config: FrameworkConfig) -> None:
        super().__init__(config)
        self.params = config.vix_spike

    def is_entry_window(self, ctx: DecisionContext) -> bool:
        if not self.params.enabled or ctx.regime != Regime.EXTREME or not is_nyse_open(ctx.now):
            return False
        last = self.memory.get("last_attempt")
        return last is None or ctx.now - datetime.fromisoformat(last) >= ATTEMPT_INTERVAL

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
            target_dte = p.futures_dte
        else:
            root, target_dte = SPREAD_ROOT, p.target_dte
        chain = ctx.market.chain(root, p.exit_dte + 1, target_dte + EXPIRY_SEARCH_DAYS)
        expiry = None if chain is None else pick_expiry(chain, ctx.today, target_dte, p.exit_dte + 1,
                                                        target_dte + EXPIRY_SEARCH_DAYS)
        if chain is None or expiry is None:
            return self.skip(f"spike deployment: no {root} expiry {p.exit_dte + 1}-"
                             f"{target_dte + EXPIRY_SEARCH_DAYS} DTE")
        if any(expiry in position.expiries() for position in positions):
            return self.skip(f"spike deployment already holds the {expiry} expiry")
        picked = self._structure(chain, expiry)
        if isinstance(picked, str):
            return self.skip(picked)
        legs, rows = picked
        credit = -mid_net(chain, legs, rows)
        if credit <= 0:
            return self.skip("spike deployment structure collects no credit")
        multiplier = contract_multiplier(legs[0].contract)
        margin, max_loss = unit_costs(chain, legs, rows, ctx.today)
        stop = p.stop_loss * credit * multiplier
        risk = min(stop, max_loss) if len(legs) > 1 else stop
        if margin > budget:
            return self.skip(f"spike deployment: margin {margin:,.2f} per unit exceeds the budget left {budget:,.2f}")
        structure = f"{root} short put" if len(legs) == 1 else f"{root} put credit spread"
        dte = (expiry - ctx.today).days
        vix_text = "n/a" if ctx.vix is None else f"{ctx.vix:.2f}"
        intent = make_intent(ctx, self.key, Purpose.OPEN, legs, self.config.risk.max_contracts,
                             f"spike deployment: {structure} {expiry} ({dte} DTE), credit {credit:.2f}, "
                             f"VIX {vix_text}", max_loss_per_unit=risk, margin_per_unit=margin,
                             price_bound=0.0)  # a credit, at the fill too
        if intent is None:
            return self.skip("spike deployment: quotes missing for a leg")
        kelly = KellyInputs(p.kelly_win_rate, p.kelly_avg_win, p.kelly_avg_loss)
        return Proposal(intent, kelly, min(1.0, budget / net_liq), credit * multiplier)

    def _structure(self, chain: ChainSnapshot, expiry: date) -> tuple[tuple[Leg, ...], list[int]] | str:
        """(legs, rows): the short put alone (futures) or with its long put below; or a skip reason."""
        p = self.params
        delta = p.futures_delta if p.use_futures else p.short_delta
        short_row = row_by_delta(chain, expiry, PUT, delta)
        if short_row is None:
            return f"spike deployment: no {chain.root} put near {delta:.2f} delta at {expiry}"
        if p.use_futures:
            return (Leg(chain.contract(short_row), -1),), [short_row]
        short_strike = float(chain.strikes[short_row])
        long_row = row_at_width(chain, expiry, PUT, short_strike, -p.spread_width, self.config.order.width_tolerance)
        if isinstance(long_row, str):
            return f"spike deployment: {long_row}"
        return (Leg(chain.contract(long_row), 1), Leg(chain.contract(short_row), -1)), [long_row, short_row]

    def manage(self, ctx: DecisionContext, position: Position) -> list[OrderIntent]:
        p = self.params
        return managed_exit(ctx, position, ExitRules(p.profit_target, p.stop_loss, exit_dte=p.exit_dte))
