"""The trading system: one decision cycle for all strategies (DESIGN.md section 1).

event -> VIX manager (regime) -> strategy (proposes an OrderIntent) -> sizer + risk gate
      -> broker port -> order events -> position lifecycle -> journal + store

The engines call `on_session_start(day, now)`, `on_minute(now)` every regular-hours minute,
`on_order_event(event)` for every broker report, `on_assignment(event)` when the broker
exercises, assigns or settles, and `on_session_end(now)` after the close. Nothing here knows
which engine runs it.

The cycle is here; its roles are in their own modules: the state and its document
(system_state.py), the parts the roles share (desk.py), order routing and working orders
(order_routing.py), management (management.py), entries (entries.py), the broker's reports
(fills.py) and the session's close (session_close.py).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from config.loader import FrameworkConfig
from core.account import AccountSnapshot
from core.engine.desk import Desk
from core.engine.entries import Entries
from core.engine.fills import Fills
from core.engine.management import Management
from core.engine.order_manager import WorkingOrder
from core.engine.order_routing import OrderRouter
from core.engine.session_close import resend_closes
from core.engine.system_state import SystemState
from core.exit_reasons import ExitReason
from core.ports import Broker, MarketView, Store
from core.position_book import PositionBook
from core.strategy_lifecycle import RECOVERY_ACTIONS, StrategyEvent, StrategyStateMachine
from core.types import OrderEvent, Purpose
from core.vix_manager import VixManager
from reporting.journal import Journal
from risk.account_phases import PhaseTracker
from risk.breakers import BreakerState
from risk.risk_gate import RiskGate
from strategies.base import Strategy, close_intent
from strategies.registry import risk_policies

ONE_MINUTE = timedelta(minutes=1)


class TradingSystem:
    """Runs every strategy through sizing, the risk gate and the broker, and keeps the books."""

    def __init__(self, config: FrameworkConfig, strategies: list[Strategy], market: MarketView, broker: Broker,
                 store: Store, journal: Journal, key_prefix: str, initial_net_liq: float) -> None:
        self.config = config
        self.strategies = {s.key: s for s in strategies}
        self.market = market
        self.store = store
        self.journal = journal
        self.key_prefix = key_prefix.rstrip("/")
        self.gate = RiskGate(config, risk_policies())
        self.state = SystemState(config, self.strategies, journal, store, self.key_prefix, initial_net_liq)
        self.desk = Desk(config, market, broker, self.gate, self.state)
        self.router = OrderRouter(self.desk)
        self.management = Management(self.desk, self.router)
        self.entries = Entries(self.desk, self.router)
        self.fills = Fills(self.desk, self.management)

    # --- the parts, as the engines and reports see them ----------------------------------------

    @property
    def broker(self) -> Broker:
        return self.desk.broker

    @broker.setter
    def broker(self, broker: Broker) -> None:  # a resumed offline run rebuilds its broker
        self.desk.broker = broker

    @property
    def bad_data_roots(self) -> dict[str, str]:
        """Root -> why its market data is bad today (set by the offline engine each session)."""
        return self.desk.bad_data_roots

    @bad_data_roots.setter
    def bad_data_roots(self, roots: dict[str, str]) -> None:
        self.desk.bad_data_roots = roots

    @property
    def vix(self) -> VixManager:
        return self.state.vix

    @property
    def breakers(self) -> BreakerState:
        return self.state.breakers

    @property
    def phases(self) -> PhaseTracker:
        return self.state.phases

    @property
    def machines(self) -> dict[str, StrategyStateMachine]:
        return self.state.machines

    @property
    def book(self) -> PositionBook:
        return self.state.book

    @property
    def orders(self) -> dict[str, WorkingOrder]:
        return self.state.orders

    def open_position_count(self) -> int:
        return self.state.book.open_count()

    def has_working_order(self, key: str) -> bool:
        return self.state.has_working_order(key)

    def account_snapshot(self, now: datetime) -> AccountSnapshot:
        return self.desk.account_snapshot(now)

    # --- session events ---------------------------------------------------------------------

    def on_session_start(self, day: date, now: datetime) -> None:
        """Reset per-session counters (daily loss, losing streak, error counts)."""
        state = self.state
        state.breakers.on_new_session(day, self.broker.net_liquidation())
        state.vix.on_session_start(day, self.market.vix_previous_close())
        state.skips_journaled.clear()
        for key, machine in state.machines.items():
            if machine.on_session_start(day, now, state.holding(key)):
                self.journal.record(now, "recovery", "strategy resumed at the new session", strategy=key)

    def on_session_end(self, now: datetime) -> None:
        """Daily close: phase hysteresis, persistence."""
        net_liq = self.broker.net_liquidation()
        self.state.breakers.on_equity(now, net_liq)
        change = self.state.phases.on_daily_close(net_liq, now.date())
        if change is not None:
            self.journal.record(now, "phase_change", change.reason, old=change.old_phase, new=change.new_phase,
                                net_liquidation=round(net_liq, 2))
        self.save()

    # --- the minute cycle --------------------------------------------------------------------

    def on_minute(self, now: datetime) -> None:
        """One regular-hours minute: regime, orders, recovery; every management interval also
        breakers and management; then entries."""
        state = self.state
        self._update_regime(now)
        self.router.work_orders(now)
        resend_closes(self.desk, self.router, now)
        self._recover(now)
        interval = self.config.risk.management_interval_minutes * 60
        if state.last_management is None or (now - state.last_management).total_seconds() >= interval:
            state.last_management = now
            state.breakers.on_equity(now, self.broker.net_liquidation())
            if state.breakers.liquidation_required():
                self.journal.record(now, "exit", "drawdown limit reached: closing every position",
                                    drawdown=round(state.breakers.drawdown, 4))
                self._close_everything(now, ExitReason.DRAWDOWN_LIQUIDATION)
            self.management.manage_all(now)
        if state.vix.regime is not None:
            self.entries.seek(now)

    def next_wake(self, now: datetime) -> datetime:
        """The first minute after `now` at which `on_minute` may change anything, provided every VIX
        reading until then is steady (VixManager.steady_count) and no broker report arrives: the next
        minute while an order works, a close waits to be re-sent or a strategy waits for recovery;
        else the next management round or the first entry check (Entries.next_check). An engine may
        skip the minutes before it (the offline replay does; LEAN calls every minute)."""
        state = self.state
        step = now + ONE_MINUTE
        if state.orders or any(m.state in RECOVERY_ACTIONS for m in state.machines.values()) \
                or any(p.terms.resend_close is not None for p in state.book.all_open()):
            return step
        interval = timedelta(minutes=self.config.risk.management_interval_minutes)
        wake = step if state.last_management is None else max(step, state.last_management + interval)
        entry = self.entries.next_check(step) if state.vix.regime is not None else None
        return wake if entry is None else min(wake, max(step, entry))

    def _update_regime(self, now: datetime) -> None:
        vix = self.state.vix
        reading = self.market.vix()
        value, seen = reading if reading else (None, None)
        change = vix.update(now, value, seen)
        if change is not None:
            old = change.old.value if change.old else "none"
            self.journal.record(now, "regime_change", f"VIX regime {old} -> {change.new.value}",
                                old=old, new=change.new.value, vix=round(change.vix, 2))
            if change.new.value == "EXTREME":
                budget = vix.open_spike_window(self.broker.net_liquidation())
                self.journal.record(now, "info", f"spike deployment budget ${budget:,.0f}", budget=budget)
            for key in self.state.machines:
                self.state.apply(key, StrategyEvent.REGIME_CHANGE, now, f"regime {change.new.value}")
        if vix.problem_opened is not None:
            problem = vix.problem_opened
            self.journal.record(now, "data_problem", f"VIX unusable ({problem.kind}): no new positions",
                                problem=problem.kind, detail=problem.detail)

    def _close_everything(self, now: datetime, reason: ExitReason) -> None:
        orders = self.state.orders
        for order in list(orders.values()):
            if order.intent.purpose == Purpose.OPEN and not order.cancel_requested:
                self.router.cancel(order)
        account = self.desk.account_snapshot(now)
        ctx = self.desk.context(now, account)
        for position in self.state.book.all_open():
            if any(o.intent.position_id == position.position_id for o in orders.values()):
                continue
            intent = close_intent(ctx, position, reason)
            if intent is not None:
                self.router.route(intent, now, account)

    def _recover(self, now: datetime) -> None:
        state = self.state
        for key, machine in state.machines.items():
            if machine.state not in RECOVERY_ACTIONS:
                continue
            action = machine.recovery_due(now)
            if action is None:
                continue
            for order in [o for o in state.orders.values() if o.intent.strategy == key and not o.cancel_requested]:
                self.router.cancel(order)
            self.reconcile(now)
            machine.recover(now, state.holding(key))
            self.journal.record(now, "recovery", f"{action}: now {machine.state.value}", strategy=key)

    # --- broker reports ---------------------------------------------------------------------

    def on_order_event(self, event: OrderEvent) -> None:
        """Book a broker report: fills into positions, final states into the state machine."""
        self.fills.on_order_event(event)

    def on_assignment(self, event: Any) -> None:
        """Exercise, assignment, cash settlement or worthless expiry of a holding (broker-driven)."""
        self.fills.on_assignment(event)

    # --- reconciliation and persistence ------------------------------------------------------

    def reconcile(self, now: datetime) -> None:
        """Compare the books with the broker's holdings and take out what the broker no longer holds
        (Fills.reconcile)."""
        self.fills.reconcile(now)

    def restore(self) -> bool:
        """Load the state saved under this system's key prefix; False when there is none.

        Raises:
            ValueError: the stored document is from another schema version or is malformed
                (never silently ignored: losing track of positions loses money).
        """
        return self.state.restore()

    def save(self) -> None:
        """Persist the system state (schema-versioned) under the mode-prefixed key."""
        self.state.save()

    def to_dict(self) -> dict[str, Any]:
        return self.state.to_dict()
