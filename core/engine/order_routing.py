"""Order routing: from a strategy's intent to an order working at the broker (DESIGN.md section 1).

An intent goes through named steps, each journaled when it refuses or changes the order:
  1. data checks (opening orders): no new position on a root with bad market data today, nor with an
     option quote that is missing, crossed or zero-width;
  2. sizing (opening orders with a proposal): the unified position sizer sets the quantity;
  3. the risk gate: allow, resize or deny;
  4. registration: a new position (pending) or an adjustment for an opening order, an exit for a
     closing one, in the position and strategy state machines; a spike entry spends its budget;
  5. submission: the broker gets the order, which works (`work_orders`) until it fills, times out
     or is cancelled.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from core.account import AccountSnapshot
from core.engine.desk import Desk
from core.engine.order_manager import WorkingOrder, next_limit, timed_out, timeout_reason
from core.exit_reasons import ExitReason
from core.limits import account_limits
from core.position_lifecycle import PositionEvent
from core.strategy_lifecycle import StrategyEvent
from core.types import ContractKind, OrderIntent, Purpose, Verdict
from core.unified_position_sizer import SizingResult, size_position
from risk.account_phases import phase_rule
from strategies.base import Proposal


class OrderRouter:
    """Sizes, gates, registers and submits intents; works the orders at the broker."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def route(self, intent: OrderIntent, now: datetime, account: AccountSnapshot,
              proposal: Proposal | None = None) -> bool:
        """Size (opening orders), gate and submit one intent; journal the decision. True if sent."""
        refusal = self._data_refusal(intent) if intent.purpose == Purpose.OPEN else None
        if refusal is not None:
            self._deny(intent, now, *refusal)
            return False
        if intent.purpose == Purpose.OPEN and proposal is not None:
            sized = self._sized(intent, now, account, proposal)
            if sized is None:
                return False
            intent = sized
        gated = self._gated(intent, now, account)
        if gated is None:
            return False
        if gated.purpose == Purpose.OPEN:
            gated = self._register_entry(gated, now, proposal)
        else:
            self._register_exit(gated, now)
        self._submit(gated, now)
        return True

    # --- the steps --------------------------------------------------------------------------

    def _data_refusal(self, intent: OrderIntent) -> tuple[str, dict[str, Any]] | None:
        """Why an opening order may not go out on today's market data (a root flagged bad, or an
        option quote that cannot be trusted), as (reason, journal data); None when it may."""
        bad = [self.desk.bad_data_roots[root] for root in sorted(intent.roots) if root in self.desk.bad_data_roots]
        if bad:
            return "data:bad_day", {"detail": "; ".join(bad)}
        problem = self._quote_problem(intent)
        return ("quote_invalid", {"detail": problem}) if problem is not None else None

    def _quote_problem(self, intent: OrderIntent) -> str | None:
        """Why an opening order's option quotes cannot be trusted (missing, crossed or zero-width),
        or None. Closing orders are never held back by this."""
        for leg in intent.legs:
            if leg.contract.kind != ContractKind.OPTION:
                continue
            quote = self.desk.valid_quote(leg.contract)
            if quote is None:
                return f"no valid quote for {leg.contract.key}"
            if quote.ask <= quote.bid:
                return f"zero-width quote {quote.bid:g}/{quote.ask:g} for {leg.contract.key}"
        return None

    def _sized(self, intent: OrderIntent, now: datetime, account: AccountSnapshot,
               proposal: Proposal) -> OrderIntent | None:
        """The intent at the sizer's quantity, or None when the sizer allows nothing (journaled)."""
        sized = size_intent(self.desk, intent, account, proposal)
        if sized.quantity <= 0:
            self._deny(intent, now, f"sizing:{sized.reason}", sized.components)
            return None
        return intent.with_quantity(sized.quantity)

    def _gated(self, intent: OrderIntent, now: datetime, account: AccountSnapshot) -> OrderIntent | None:
        """The intent as the risk gate lets it out (resized, journaled), or None when denied."""
        decision = self.desk.gate.evaluate(intent, account)
        if decision.verdict == Verdict.DENY:
            self._deny(intent, now, decision.reason, {"detail": decision.detail})
            return None
        if decision.verdict == Verdict.RESIZE:
            self.desk.journal.record(now, "info", f"order resized to {decision.quantity}: {decision.reason}",
                                     strategy=intent.strategy, reason=decision.reason, detail=decision.detail)
            return intent.with_quantity(decision.quantity)
        return intent

    def _register_entry(self, intent: OrderIntent, now: datetime, proposal: Proposal | None) -> OrderIntent:
        """Open a pending position for a new entry (the intent gets its id), or mark the adjustment
        of an existing one; a spike entry spends its deployment budget."""
        state, key = self.desk.state, intent.strategy
        if intent.position_id is None:
            position = state.book.open_pending(state.next_id("P"), intent, now, state.vix.regime,
                                               state.phases.phase, proposal)
            intent = replace(intent, position_id=position.position_id)
        else:
            state.apply(key, StrategyEvent.ADJUST, now, intent.reason)
            state.position_step(intent.position_id, PositionEvent.ADJUST_SUBMITTED, now, intent.reason)
        if self.desk.gate.spike_deployment(key) and intent.margin_per_unit * intent.quantity > 0:
            state.vix.spent(intent.margin_per_unit * intent.quantity)  # zero margin spends no budget
        return intent

    def _register_exit(self, intent: OrderIntent, now: datetime) -> None:
        state = self.desk.state
        state.apply(intent.strategy, ExitReason(intent.reason).strategy_event, now, intent.reason)
        state.position_step(intent.position_id, PositionEvent.EXIT_SUBMITTED, now, intent.reason)

    def _submit(self, intent: OrderIntent, now: datetime) -> None:
        """Send the order, remember it as working, journal it and save the state."""
        state = self.desk.state
        state.apply(intent.strategy, StrategyEvent.ORDER_SUBMITTED, now, intent.reason)
        order_id = self.desk.broker.submit(intent)
        state.orders[order_id] = WorkingOrder(order_id, intent, now, intent.limit_price, now)
        self.desk.journal.record(now, "order", f"{intent.purpose.value} order: {intent.reason}",
                                 strategy=intent.strategy, order_id=order_id, position_id=intent.position_id,
                                 quantity=intent.quantity, limit=intent.limit_price,
                                 legs=[f"{leg.ratio:+d} {leg.contract.key}" for leg in intent.legs])
        state.save()

    def _deny(self, intent: OrderIntent, now: datetime, reason: str, data: dict[str, Any]) -> None:
        self.desk.journal.record(now, "denial", f"{intent.purpose.value} denied ({reason}): {intent.reason}",
                                 strategy=intent.strategy, reason=reason, intent_id=intent.intent_id, **data)
        self.desk.state.apply(intent.strategy, StrategyEvent.RISK_DENIED, now, reason)

    # --- orders at the broker ---------------------------------------------------------------

    def work_orders(self, now: datetime) -> None:
        """One minute of the working orders: cancel those past their time-out (journaled with
        `timeout_reason`; an entry is remembered in `timed_out_entries`), step the others' limits."""
        state, broker = self.desk.state, self.desk.broker
        for order in list(state.orders.values()):
            if order.cancel_requested:
                continue
            if timed_out(order, now):
                order.cancel_requested = True
                if order.intent.purpose == Purpose.OPEN:
                    state.timed_out_entries.add(order.order_id)
                self.desk.journal.record(now, "order", f"order {timeout_reason(order)}; cancelling",
                                         strategy=order.intent.strategy, order_id=order.order_id,
                                         limit=order.limit_price, price_bound=order.intent.price_bound)
                broker.cancel(order.order_id)
                continue
            improved = next_limit(order, now, self.desk.config.order.step_seconds)
            if improved is not None:
                order.limit_price = improved
                order.last_step = now
                broker.update_limit(order.order_id, improved)

    def cancel(self, order: WorkingOrder) -> None:
        """Ask the broker to cancel a working order (its final report comes as an order event)."""
        order.cancel_requested = True
        self.desk.broker.cancel(order.order_id)


def size_intent(desk: Desk, intent: OrderIntent, account: AccountSnapshot, proposal: Proposal) -> SizingResult:
    """The unified position sizer's answer for an opening intent, with its arguments assembled from the
    configuration, the account, the strategy's Kelly statistics, the VIX regime and the breakers."""
    state = desk.state
    stats = state.statistics[intent.strategy]
    risk = desk.config.risk
    kelly = None if proposal.kelly is None else stats.kelly_inputs(proposal.kelly, risk.kelly_min_trades)
    spike = desk.gate.spike_deployment(intent.strategy)
    limits = account_limits(account, risk, quantity=intent.quantity,
                            phase_buying_power=phase_rule(account.phase).max_buying_power,
                            regime_buying_power=state.vix.max_buying_power(spike),
                            buying_power_cap=proposal.buying_power_cap,
                            deployment_budget=state.vix.spike_budget_remaining if spike else None)
    return size_position(limits, max_loss_per_unit=intent.max_loss_per_unit, margin_per_unit=intent.margin_per_unit,
                         kelly=kelly, kelly_fraction=risk.kelly_fraction,
                         regime_multiplier=state.vix.size_multiplier(spike),
                         drawdown_multiplier=state.breakers.size_multiplier())
