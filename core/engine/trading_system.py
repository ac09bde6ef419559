"""The trading system: one decision cycle for all strategies (DESIGN.md section 1).

event -> VIX manager (regime) -> strategy (proposes an OrderIntent) -> sizer + risk gate
      -> broker port -> order events -> position lifecycle -> journal + store

The engines call `on_session_start(day, now)`, `on_minute(now)` every regular-hours minute,
`on_order_event(event)` for every broker report, `on_assignment(event)` when the broker
exercises, assigns or settles, and `on_session_end(now)` after the close. Nothing here knows
which engine runs it.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from config.loader import FrameworkConfig
from core.engine.order_manager import WorkingOrder, work_orders
from core.engine.session_close import expiry_day_exit, note_expired_close, resend_closes
from core.engine.system_persistence import restore_system, system_document
from core.exit_reasons import ExitReason
from core.ports import Broker, MarketView, Store
from core.position import Position
from core.position_book import PositionBook
from core.position_lifecycle import PositionEvent
from core.strategy_lifecycle import RECOVERY_ACTIONS, StrategyEvent, StrategyState, StrategyStateMachine
from core.types import (
    AccountSnapshot,
    Contract,
    ContractKind,
    OrderEvent,
    OrderIntent,
    OrderStatus,
    Purpose,
    Quote,
    Verdict,
)
from core.unified_position_sizer import SizingResult, TradeStatistics, size_position
from core.vix_manager import VixManager
from helpers.exchange_calendar import add_sessions
from reporting.journal import Journal
from risk.account_phases import PhaseTracker, phase_rule
from risk.breakers import BreakerState
from risk.risk_gate import RiskGate
from strategies.base import DecisionContext, Proposal, Strategy, close_intent, declared

FILLS_REMEMBERED = 500  # orders whose fills are remembered, so that a repeated report is recognised
SPIKE_STRATEGY = "vix_spike"
# What a failing strategy decision may raise; the strategy goes to ERROR, the others keep running.
ENTRY_STATES = frozenset((StrategyState.IDLE, StrategyState.MANAGING))  # states that look for entries
STRATEGY_FAULTS = (ArithmeticError, IndexError, KeyError, TypeError, ValueError)


class TradingSystem:
    """Runs every strategy through sizing, the risk gate and the broker, and keeps the books."""

    def __init__(self, config: FrameworkConfig, strategies: list[Strategy], market: MarketView, broker: Broker,
                 store: Store, journal: Journal, key_prefix: str, initial_net_liq: float) -> None:
        self.config = config
        self.strategies = {s.key: s for s in strategies}
        self.market = market
        self.broker = broker
        self.store = store
        self.journal = journal
        self.key_prefix = key_prefix.rstrip("/")
        self.vix = VixManager(config.vix)
        self.gate = RiskGate(config)
        self.breakers = BreakerState(config.risk)
        self.phases = PhaseTracker.start(initial_net_liq, config.risk.phase_hysteresis)
        self.machines = {key: StrategyStateMachine(key, config.risk) for key in self.strategies}
        self.statistics = {key: TradeStatistics() for key in self.strategies}
        self.book = PositionBook(journal, store, self.key_prefix)
        self.orders: dict[str, WorkingOrder] = {}
        self.timed_out_entries: set[str] = set()  # opening orders cancelled for their time-out
        self.sequence = 0
        self.last_management: datetime | None = None
        self.skips_journaled: dict[str, str] = {}
        # root -> why its market data is bad today (set by the offline engine each session): no new
        # positions on it; open ones are still managed
        self.bad_data_roots: dict[str, str] = {}
        self.fill_events: dict[str, list[str]] = {}  # order id -> fills booked (repeats are ignored)
        self._openers: tuple[date | None, list[tuple[str, Strategy]]] = (None, [])  # may_open_on, per day

    # --- identifiers, snapshots, context -----------------------------------------------------

    def _next_id(self, prefix: str) -> str:
        self.sequence += 1
        return f"{prefix}{self.sequence:06d}"

    def open_position_count(self) -> int:
        return self.book.open_count()

    def account_snapshot(self, now: datetime) -> AccountSnapshot:
        regime = self.vix.regime
        return AccountSnapshot(
            time=now, net_liquidation=self.broker.net_liquidation(), margin_used=self.broker.margin_used(),
            high_water_mark=self.breakers.high_water_mark, day_start_value=self.breakers.day_start_value,
            losing_streak_today=self.breakers.losing_streak, phase=self.phases.phase,
            regime=regime.value if regime else "UNKNOWN", vix_usable=self.vix.usable(now),
            intraday_spike=self.vix.intraday_spike, open_positions=self.book.summaries(self.orders.values()),
            entries_paused_until=self._paused_until(now.date()),
            spike_budget_remaining=self.vix.spike_budget_remaining)

    def _paused_until(self, today: date) -> date | None:
        """Last session of a post-liquidation pause (inclusive), None when not paused."""
        remaining = self.breakers.pause_sessions_remaining
        return add_sessions(today, remaining - 1) if remaining > 0 else None

    def _context(self, now: datetime, account: AccountSnapshot | None = None) -> DecisionContext:
        """A decision context; the account snapshot is taken only if a strategy asks for it."""
        return DecisionContext(now=now, market=self.market, config=self.config, regime=self.vix.regime,
                               vix=self.vix.value, new_intent_id=lambda: self._next_id("I"),
                               account_source=(lambda: account) if account else (lambda: self.account_snapshot(now)))

    # --- session events ---------------------------------------------------------------------

    def on_session_start(self, day: date, now: datetime) -> None:
        """Reset per-session counters (daily loss, losing streak, error counts)."""
        self.breakers.on_new_session(day, self.broker.net_liquidation())
        self.vix.on_session_start(day, self.market.vix_previous_close())
        self.skips_journaled.clear()
        for key, machine in self.machines.items():
            if machine.on_session_start(day, now, self._holding(key)):
                self.journal.record(now, "recovery", "strategy resumed at the new session", strategy=key)

    def on_session_end(self, now: datetime) -> None:
        """Daily close: phase hysteresis, persistence."""
        net_liq = self.broker.net_liquidation()
        self.breakers.on_equity(now, net_liq)
        change = self.phases.on_daily_close(net_liq, now.date())
        if change is not None:
            self.journal.record(now, "phase_change", change.reason, old=change.old_phase, new=change.new_phase,
                                net_liquidation=round(net_liq, 2))
        self.save()

    # --- the minute cycle --------------------------------------------------------------------

    def on_minute(self, now: datetime) -> None:
        """One regular-hours minute: regime, orders, recovery; every management interval also
        breakers and management; then entries."""
        self._update_regime(now)
        work_orders(self, now)
        resend_closes(self, now)
        self._recover(now)
        interval = self.config.risk.management_interval_minutes * 60
        if self.last_management is None or (now - self.last_management).total_seconds() >= interval:
            self.last_management = now
            self.breakers.on_equity(now, self.broker.net_liquidation())
            if self.breakers.liquidation_required():
                self.journal.record(now, "exit", "drawdown limit reached: closing every position",
                                    drawdown=round(self.breakers.drawdown, 4))
                self._close_everything(now, ExitReason.DRAWDOWN_LIQUIDATION)
            self._manage_all(now)
        if self.vix.regime is not None:
            self._seek_entries(now)

    def _update_regime(self, now: datetime) -> None:
        reading = self.market.vix()
        value, seen = reading if reading else (None, None)
        change = self.vix.update(now, value, seen)
        if change is not None:
            old = change.old.value if change.old else "none"
            self.journal.record(now, "regime_change", f"VIX regime {old} -> {change.new.value}",
                                old=old, new=change.new.value, vix=round(change.vix, 2))
            if change.new.value == "EXTREME":
                budget = self.vix.open_spike_window(self.broker.net_liquidation())
                self.journal.record(now, "info", f"spike deployment budget ${budget:,.0f}", budget=budget)
            for key in self.machines:
                self._apply(key, StrategyEvent.REGIME_CHANGE, now, f"regime {change.new.value}")
        if self.vix.problem_opened is not None:
            problem = self.vix.problem_opened
            self.journal.record(now, "data_problem", f"VIX unusable ({problem.kind}): no new positions",
                                problem=problem.kind, detail=problem.detail)

    def _apply(self, key: str, event: StrategyEvent, now: datetime, reason: str) -> None:
        """Apply `event` when the table allows it from the current state (broadcast events such as a
        regime change matter only in some states)."""
        machine = self.machines[key]
        if machine.allows(event):
            machine.apply(event, now, reason, self._holding(key))

    def _holding(self, key: str) -> bool:
        """Whether strategy `key` holds anything, including the filled part of an entry still working
        (a partial fill): the state machines' "has positions"."""
        return any(p.strategy == key and p.holdings for p in self.book.positions.values() if p.state != "closed")

    def _position_step(self, position_id: str | None, event: PositionEvent, now: datetime, reason: str) -> None:
        position = self.book.get(position_id or "")
        if position is not None:
            self.book.step(position, event, now, reason)

    def _error(self, key: str, now: datetime, message: str) -> None:
        """A strategy failed (a fault in its code or data): journal it and move its state machine to
        ERROR (auto-recovery after the time-out; the session's third error suspends it)."""
        self.journal.record(now, "error", message, strategy=key)
        self._apply(key, StrategyEvent.ERROR, now, message)

    # --- orders -----------------------------------------------------------------------------

    def has_working_order(self, key: str) -> bool:
        return any(o.intent.strategy == key for o in self.orders.values())

    # --- management and entries --------------------------------------------------------------

    def _manage_all(self, now: datetime) -> None:
        ctx = self._context(now)  # the account snapshot is taken only when a decision needs it
        for key, strategy in self.strategies.items():
            if self.has_working_order(key) or self.machines[key].state in (StrategyState.ERROR,
                                                                          StrategyState.SUSPENDED):
                continue
            for position in self.book.open_positions(key):
                try:
                    submitted = self._manage_position(strategy, position, now, ctx)
                except STRATEGY_FAULTS as error:
                    self._error(key, now, f"managing {position.position_id} failed: {error!r}")
                    break
                if submitted:
                    ctx = self._context(now)
                    break

    def _manage_position(self, strategy: Strategy, position: Position, now: datetime,
                         ctx: DecisionContext) -> bool:
        """Run management for one position; True when an order was submitted."""
        self._check_valuation(position, now)
        intents = declared(strategy, expiry_day_exit(strategy, position, ctx) or strategy.manage(ctx, position))
        if intents:
            return self._route(intents[0], now, ctx.account)
        if self.vix.regime is not None and self.vix.usable(now):
            proposal = strategy.propose_adjustment(ctx, position)
            if proposal is not None:
                return self._route(proposal.intent, now, ctx.account, proposal)
        return False

    def _check_valuation(self, position: Position, now: datetime) -> None:
        """Journal once (per occurrence and session) that a position cannot be valued because a
        holding has no valid quote: its management waits for data."""
        key = f"value:{position.position_id}"
        missing = next((c.key for c, _ in position.contracts() if not _quoted(self.market.quote(c))), None)
        if missing is None:
            self.skips_journaled.pop(key, None)
        elif key not in self.skips_journaled:
            self.skips_journaled[key] = missing
            self.journal.record(now, "data_problem", f"no valid quote for {missing}: position {position.position_id} "
                                "cannot be valued; its management waits for data", strategy=position.strategy,
                                position_id=position.position_id, contract=missing)

    def manage_on_fill(self, position_id: str, now: datetime) -> None:
        """Management on a fill (SPEC: check management on every fill)."""
        position = self.book.get(position_id)
        if position is None or not position.is_open or self.has_working_order(position.strategy):
            return
        self._manage_position(self.strategies[position.strategy], position, now, self._context(now))

    def _seek_entries(self, now: datetime) -> None:
        allowed, reason = self.breakers.new_entries_allowed()
        if not allowed:
            if self.skips_journaled.get("*") != reason:
                self.skips_journaled["*"] = reason
                self.journal.record(now, "info", f"no new positions today: {reason}", reason=reason)
            return
        account: AccountSnapshot | None = None
        bare = self._context(now)
        # strategies with a working order; an order sent below belongs to the strategy being visited
        busy = {order.intent.strategy for order in self.orders.values()} if self.orders else set()
        for key, strategy in self._may_open(now):
            if self.machines[key].state not in ENTRY_STATES:
                continue
            if key in busy or not strategy.is_entry_window(bare):
                continue
            account = account or self.account_snapshot(now)
            strategy.last_skip_reason = ""
            self._apply(key, StrategyEvent.WINDOW_OPEN, now, "entry window")
            try:
                proposal = strategy.propose_entry(self._context(now, account), self.book.open_positions(key))
            except STRATEGY_FAULTS as error:
                self._error(key, now, f"entry analysis failed: {error!r}")
                continue
            if proposal is None:
                self._skipped(key, now, strategy.last_skip_reason)
                continue
            self._apply(key, StrategyEvent.CONDITIONS_MET, now, proposal.intent.reason)
            if self._route(proposal.intent, now, account, proposal):
                account = None

    def _may_open(self, now: datetime) -> list[tuple[str, Strategy]]:
        """The strategies whose entry window can open today (Strategy.may_open_on) in the account's
        phase (it changes only at a close), worked out once a session; those the phase keeps out
        are journaled once a phase."""
        day = now.date()
        if self._openers[0] != day:
            openers = []
            for key, strategy in self.strategies.items():
                if not strategy.may_open_on(day):
                    continue
                if strategy.min_phase > self.phases.phase:
                    self.journal.record_once(now, "info", f"no entry: account phase {self.phases.phase}: {key} "
                                             f"opens positions from phase {strategy.min_phase}", key)
                else:
                    openers.append((key, strategy))
            self._openers = (day, openers)
        return self._openers[1]

    def _skipped(self, key: str, now: datetime, reason: str) -> None:
        self._apply(key, StrategyEvent.CONDITIONS_FAILED, now, reason or "conditions not met")
        self._journal_skip(key, now, reason)

    def _journal_skip(self, key: str, now: datetime, reason: str) -> None:
        """Journal why `key` makes no entry, once per reason and session."""
        if reason and self.skips_journaled.get(key) != reason:
            self.skips_journaled[key] = reason
            self.journal.record(now, "info", f"no entry: {reason}", strategy=key)

    def _route(self, intent: OrderIntent, now: datetime, account: AccountSnapshot,
               proposal: Proposal | None = None) -> bool:
        """Size (opening orders), gate and submit one intent; journal the decision. True if sent."""
        key = intent.strategy
        bad = [self.bad_data_roots[root] for root in sorted(intent.roots) if root in self.bad_data_roots]
        if intent.purpose == Purpose.OPEN and bad:
            self._deny(intent, now, "data:bad_day", {"detail": "; ".join(bad)})
            return False
        problem = self._quote_problem(intent) if intent.purpose == Purpose.OPEN else None
        if problem is not None:
            self._deny(intent, now, "quote_invalid", {"detail": problem})
            return False
        if intent.purpose == Purpose.OPEN and proposal is not None:
            sized = self._size(intent, account, proposal)
            if sized.quantity <= 0:
                self._deny(intent, now, f"sizing:{sized.reason}", sized.components)
                return False
            intent = intent.with_quantity(sized.quantity)
        decision = self.gate.evaluate(intent, account)
        if decision.verdict == Verdict.DENY:
            self._deny(intent, now, decision.reason, {"detail": decision.detail})
            return False
        if decision.verdict == Verdict.RESIZE:
            self.journal.record(now, "info", f"order resized to {decision.quantity}: {decision.reason}",
                                strategy=key, reason=decision.reason, detail=decision.detail)
            intent = intent.with_quantity(decision.quantity)
        if intent.purpose == Purpose.OPEN:
            if intent.position_id is None:
                position = self.book.open_pending(self._next_id("P"), intent, now, self.vix.regime,
                                                  self.phases.phase, proposal)
                intent = replace(intent, position_id=position.position_id)
            else:
                self._apply(key, StrategyEvent.ADJUST, now, intent.reason)
                self._position_step(intent.position_id, PositionEvent.ADJUST_SUBMITTED, now, intent.reason)
            if key == SPIKE_STRATEGY and intent.margin_per_unit * intent.quantity > 0:
                self.vix.spent(intent.margin_per_unit * intent.quantity)  # zero margin spends no budget
        else:
            self._apply(key, ExitReason(intent.reason).strategy_event, now, intent.reason)
            self._position_step(intent.position_id, PositionEvent.EXIT_SUBMITTED, now, intent.reason)
        self._apply(key, StrategyEvent.ORDER_SUBMITTED, now, intent.reason)
        order_id = self.broker.submit(intent)
        self.orders[order_id] = WorkingOrder(order_id, intent, now, intent.limit_price, now)
        self.journal.record(now, "order", f"{intent.purpose.value} order: {intent.reason}", strategy=key,
                            order_id=order_id, position_id=intent.position_id, quantity=intent.quantity,
                            limit=intent.limit_price, legs=[f"{leg.ratio:+d} {leg.contract.key}" for leg in intent.legs])
        self.save()
        return True

    def _quote_problem(self, intent: OrderIntent) -> str | None:
        """Why an opening order's option quotes cannot be trusted (missing, crossed or zero-width),
        or None. Closing orders are never held back by this."""
        for leg in intent.legs:
            if leg.contract.kind != ContractKind.OPTION:
                continue
            quote = self.market.quote(leg.contract)
            if not _quoted(quote):
                return f"no valid quote for {leg.contract.key}"
            assert quote is not None
            if quote.ask <= quote.bid:
                return f"zero-width quote {quote.bid:g}/{quote.ask:g} for {leg.contract.key}"
        return None

    def _size(self, intent: OrderIntent, account: AccountSnapshot, proposal: Proposal) -> SizingResult:
        stats = self.statistics[intent.strategy]
        risk = self.config.risk
        kelly = None if proposal.kelly is None else stats.kelly_inputs(proposal.kelly, risk.kelly_min_trades)
        contract_cap = risk.phase1_max_contracts if account.phase == 1 else risk.max_contracts
        spike = intent.strategy == SPIKE_STRATEGY
        return size_position(
            net_liquidation=account.net_liquidation, max_loss_per_unit=intent.max_loss_per_unit,
            margin_per_unit=intent.margin_per_unit, margin_used=account.margin_used,
            per_trade_risk=risk.per_trade_risk, buying_power_cap=proposal.buying_power_cap,
            phase_buying_power=phase_rule(account.phase).max_buying_power,
            regime_buying_power=self.vix.max_buying_power(spike), reserve=risk.buying_power_reserve,
            kelly=kelly, kelly_fraction=risk.kelly_fraction, contract_cap=min(contract_cap, intent.quantity),
            regime_multiplier=self.vix.size_multiplier(spike), drawdown_multiplier=self.breakers.size_multiplier(),
            deployment_budget=self.vix.spike_budget_remaining if spike else None)

    def _deny(self, intent: OrderIntent, now: datetime, reason: str, data: dict[str, Any]) -> None:
        self.journal.record(now, "denial", f"{intent.purpose.value} denied ({reason}): {intent.reason}",
                            strategy=intent.strategy, reason=reason, intent_id=intent.intent_id, **data)
        self._apply(intent.strategy, StrategyEvent.RISK_DENIED, now, reason)

    def _close_everything(self, now: datetime, reason: ExitReason) -> None:
        for order in list(self.orders.values()):
            if order.intent.purpose == Purpose.OPEN and not order.cancel_requested:
                order.cancel_requested = True
                self.broker.cancel(order.order_id)
        account = self.account_snapshot(now)
        ctx = self._context(now, account)
        for position in self.book.all_open():
            if any(o.intent.position_id == position.position_id for o in self.orders.values()):
                continue
            intent = close_intent(ctx, position, reason)
            if intent is not None:
                self._route(intent, now, account)

    def _recover(self, now: datetime) -> None:
        for key, machine in self.machines.items():
            if machine.state not in RECOVERY_ACTIONS:
                continue
            action = machine.recovery_due(now)
            if action is None:
                continue
            for order in [o for o in self.orders.values() if o.intent.strategy == key and not o.cancel_requested]:
                order.cancel_requested = True
                self.broker.cancel(order.order_id)
            self.reconcile(now)
            machine.recover(now, self._holding(key))
            self.journal.record(now, "recovery", f"{action}: now {machine.state.value}", strategy=key)

    # --- broker reports ---------------------------------------------------------------------

    def on_order_event(self, event: OrderEvent) -> None:
        """Book a broker report: fills into positions, final states into the state machine."""
        order = self.orders.get(event.order_id)
        if order is None and event.fill_quantity > 0 and event.order_id not in self.fill_events:
            self.journal.record(event.time, "error", f"fill of {event.fill_quantity} on {event.order_id}, an order "
                                f"this system did not send ({event.message}): reconciling with the broker")
            self.fill_events[event.order_id] = [_fill_fingerprint(event)]
            self.reconcile(event.time)
            return
        if order is None:
            self.journal.record(event.time, "info", f"event for an unknown or finished order {event.order_id} "
                                "ignored", status=event.status.value)
            return
        intent = order.intent
        if event.fill_quantity > 0:
            fingerprint = _fill_fingerprint(event)
            if fingerprint in self.fill_events.get(event.order_id, []):
                self.journal.record(event.time, "info", f"duplicate fill event on {event.order_id} ignored",
                                    strategy=intent.strategy, status=event.status.value, units=event.fill_quantity)
                return
            if order.filled_units + event.fill_quantity > intent.quantity:
                self.journal.record(event.time, "error", f"fill beyond the order size ignored on {event.order_id}",
                                    strategy=intent.strategy)
                return
            order.filled_units += event.fill_quantity
            self.fill_events.setdefault(event.order_id, []).append(fingerprint)
            self.book.book_fill(intent, event)
        if event.status in (OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED):
            del self.orders[event.order_id]
            for finished in list(self.fill_events)[:-FILLS_REMEMBERED]:
                del self.fill_events[finished]
            self._order_finished(order, event)
        elif event.status == OrderStatus.PARTIALLY_FILLED:
            self._apply(intent.strategy, StrategyEvent.PARTIALLY_FILLED, event.time, intent.reason)
        self.save()

    def _order_finished(self, order: WorkingOrder, event: OrderEvent) -> None:
        intent, key, now = order.intent, order.intent.strategy, event.time
        if event.status == OrderStatus.REJECTED:
            self.journal.record(now, "error", f"order rejected: {event.message}", strategy=key,
                                order_id=order.order_id)
        note_expired_close(self, order, event)
        closed = self.book.finish_order(intent, order.filled_units, now, self._trade_closed, event.status)
        if order.filled_units > 0:
            outcome = StrategyEvent.FILLED
        else:
            outcome = StrategyEvent.REJECTED if event.status == OrderStatus.REJECTED else StrategyEvent.CANCELLED
        self._apply(key, outcome, now, intent.reason)
        if order.order_id in self.timed_out_entries:
            self.timed_out_entries.discard(order.order_id)
            if order.filled_units == 0 and event.status == OrderStatus.CANCELLED:
                self._retry_entry(key, now)
        if closed and not self.book.has_open(key):
            self._apply(key, StrategyEvent.POSITIONS_CLOSED, now, intent.reason)
        if intent.position_id and order.filled_units > 0:
            self.manage_on_fill(intent.position_id, now)

    def _retry_entry(self, key: str, now: datetime) -> None:
        """An entry order timed out unfilled: let the strategy ask again in the same entry window (a new
        proposal, priced from fresh quotes), at most `order_entry_retries` times a day."""
        retries = self.config.order.entry_retries
        attempt = self.strategies[key].reopen_entry(now.date().isoformat(), retries)
        if attempt:
            self.journal.record(now, "info", f"entry order timed out unfilled: retry {attempt} of {retries} in the "
                                "window, re-priced from fresh quotes", strategy=key)
        else:
            self.journal.record(now, "info", f"entry order timed out unfilled: no retry left ({retries} a day)",
                                strategy=key)

    def _trade_closed(self, position: Position, pnl: float) -> None:
        unit = position.terms.credit_unit or abs(position.entry_cash) or 1.0
        self.statistics[position.strategy].record(pnl, unit)
        self.breakers.on_position_closed(pnl)

    def on_assignment(self, event: Any) -> None:
        """Exercise, assignment, cash settlement or worthless expiry of a holding (broker-driven)."""
        self.book.on_assignment(event, self._trade_closed)
        for key in self.machines:
            if not self.book.has_open(key) and self.machines[key].state == StrategyState.MANAGING:
                self._apply(key, StrategyEvent.POSITIONS_CLOSED, event.time, event.reason)
        self.save()

    # --- reconciliation and persistence ------------------------------------------------------

    def reconcile(self, now: datetime) -> None:
        """Compare the books with the broker's holdings, journal every difference and take out of the
        books what the broker no longer holds (PositionBook.release_missing, at the current mid),
        except contracts of a working order, whose fill may still be on its way."""
        holdings = self.broker.holdings()
        differences = self.book.reconcile(holdings, now)
        working = {leg.contract.key for order in self.orders.values() for leg in order.intent.legs}
        if differences and self.book.release_missing(holdings, now, self._mid, self._trade_closed, working):
            for key in self.machines:
                if not self.book.has_open(key) and not self.has_working_order(key):
                    self._apply(key, StrategyEvent.POSITIONS_CLOSED, now, "reconciled with the broker")
            self.save()

    def _mid(self, contract: Contract) -> float | None:
        quote = self.market.quote(contract)
        return quote.mid if quote is not None and quote.valid else None

    def restore(self) -> bool:
        """Load the state saved under this system's key prefix; False when there is none.

        Raises:
            ValueError: the stored document is from another schema version or is malformed
                (never silently ignored: losing track of positions loses money).
        """
        document = self.store.load(f"{self.key_prefix}/system")
        if document is None:
            return False
        restore_system(self, document)
        return True

    def save(self) -> None:
        """Persist the system state (schema-versioned) under the mode-prefixed key."""
        self.store.save(f"{self.key_prefix}/system", self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        return system_document(self)


def _quoted(quote: Quote | None) -> bool:
    return quote is not None and quote.valid


def _fill_fingerprint(event: OrderEvent) -> str:
    """What makes a fill report unique: a repeated report of the same fill has the same fingerprint."""
    return (f"{event.status.value}|{event.time.isoformat()}|{event.fill_quantity}|{event.fill_price!r}|"
            f"{event.fees!r}|{event.message}")
