"""QuantConnect LEAN entry point of the Tom King options framework.

Wires the LEAN adapter (lean_adapter/) to the trading core (core/, strategies/, risk/); it holds
no trading logic. Every tunable is a LEAN parameter with the core's name (config.json); a bad
value stops `initialize` with a message naming the parameter. Orders go out as combo limit
orders through lean_adapter.broker, which refuses what Tastytrade would refuse.
"""
# isort: off
from AlgorithmImports import *
# The star import binds System.Exception (whose except clauses miss Python errors); rebind the builtin.
# The stubs type the name as System.Exception, hence the ignore: the rebinding is deliberate.
from builtins import Exception  # type: ignore[assignment]  # noqa: F401
# isort: on

import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta

from config.constants import Regime, product_spec
from core.engine.trading_system import TradingSystem
from core.types import OrderEvent as CoreOrderEvent
from helpers.exchange_calendar import is_nyse_open, nyse_sessions, session_open_close
from lean_adapter.broker import LeanBroker
from lean_adapter.cash_sweep import LeanCashSweep
from lean_adapter.charts import ChartBook, plot_session, runtime_statistics
from lean_adapter.daily_bars import DailyBarBook
from lean_adapter.delivery import DeliveredFutures
from lean_adapter.guard import run_guarded
from lean_adapter.market_view import LeanMarketView
from lean_adapter.notifications import JournalRelay, Notifier
from lean_adapter.object_store import ObjectStoreAdapter, mode_prefix
from lean_adapter.order_events import ComboTracker, EventRelay, assignment_from_event, stale_order_events
from lean_adapter.parameters import load_lean_config, read_notification_settings
from lean_adapter.scheduling import Handlers, schedule_all
from lean_adapter.subscription_plan import is_trading_day, plan_subscriptions
from lean_adapter.subscriptions import subscribe
from lean_adapter.symbols import SymbolBook
from reporting.journal import Journal
from reporting.statistics import regime_days, strategy_statistics
from strategies.registry import build_strategies

JOURNAL_MEMORY = 2000  # records kept in memory; every record also goes to the log relay
REGIME_NAMES = frozenset(regime.value for regime in Regime)


class TomKingFramework(QCAlgorithm):
    """SPY/futures options premium selling (Tom King methodology) on LEAN, Tastytrade margin account."""

    def initialize(self) -> None:
        # Live, scheduled events run on LEAN's "RealTime Thread" and order events on the brokerage's
        # thread: every entry into the core holds this lock (reentrant: an order call can raise an
        # order event on the same thread).
        self._lock = threading.RLock()
        config = load_lean_config(self._parameter)
        notifications = read_notification_settings(self._parameter)
        backtest = config.backtest
        self.set_start_date(backtest.start_date)
        self.set_end_date(backtest.end_date)
        self.set_cash(backtest.cash)
        self.set_time_zone(TimeZones.NEW_YORK)
        self.set_brokerage_model(BrokerageName.TASTYTRADE, AccountType.MARGIN)
        # Day orders: a working order never outlives the session (the core cancels after minutes anyway).
        self.default_order_properties.time_in_force = TimeInForce.DAY
        self._plan = plan_subscriptions(config)
        self._subscriptions = subscribe(self, self._plan)
        self.set_warm_up(timedelta(days=self._plan.warmup_calendar_days), Resolution.DAILY)
        self._symbols = SymbolBook()
        self._bars = DailyBarBook(self._plan.warmup_sessions + 10)
        self._market = LeanMarketView(self, self._subscriptions, self._symbols, self._bars)
        self._tracker = ComboTracker()
        self._relay = EventRelay(self._deliver)
        self._sweep = None
        if config.cash.sweep:
            self._sweep = LeanCashSweep(self, self._subscriptions.underlyings[config.cash.sweep_symbol],
                                        config.risk.buying_power_reserve, self.log)
        self._broker = LeanBroker(self, self._symbols, self._tracker, self._relay, self._report_problem, self._sweep)
        self._deliveries = DeliveredFutures(self, self._note, self._report_problem)
        prefix = mode_prefix(self.live_mode, self.project_id)
        self._notify_targets = notifications
        notifier = None
        if self.live_mode and notifications.any_target:
            notifier = Notifier(self._send_notification, notifications.max_per_hour)
        self._journal = Journal(sink=JournalRelay(self.log, notifier), max_records=JOURNAL_MEMORY)
        self._charts = ChartBook(self.plot)
        store = ObjectStoreAdapter(self.object_store, prefix, self._report_problem)
        if not self.live_mode:
            store.clear()  # a backtest starts from nothing and leaves one run's documents at most
        self._system = TradingSystem(config, build_strategies(config), self._market, self._broker, store,
                                     self._journal, prefix, backtest.cash)
        self._system.restore()
        self._reconcile_due = True  # on the first regular-hours minute, and after a margin call
        self._stale_orders_checked = False
        self._idle_reported: dict[str, date] = {}
        self._regimes: list[str] = []
        handlers = Handlers(self._locked(self._on_session_start), self._locked(self._on_minute),
                            self._locked(self._on_session_end), self._locked_window)
        schedule_all(self, self._subscriptions.underlyings["SPY"], config, handlers)

    # --- LEAN events --------------------------------------------------------------------------

    def on_data(self, slice: Slice) -> None:
        # The market view reads self.current_slice, which LEAN sets before the scheduled events.
        if self.is_warming_up:
            self._record_daily_bars(slice)

    def on_order_event(self, order_event: OrderEvent) -> None:
        with self._lock:
            self._on_order_event(order_event)

    def _on_order_event(self, order_event: OrderEvent) -> None:
        now = self._market.now()
        if self._tracker.owns(order_event.order_id, order_event.symbol):
            self._relay.push(self._tracker.translate(order_event, now))
            return
        if self._deliveries.owns(order_event.order_id):
            self._deliveries.on_event(order_event)
            return
        if self._deliveries.is_delivery(order_event):  # the future of a futures-option exercise
            self._deliveries.receive(order_event)
            return
        assignment = assignment_from_event(order_event, self._underlying_price(order_event), now)
        if assignment is not None:
            self._guarded(lambda: self._system.on_assignment(assignment))

    def on_assignment_order_event(self, assignment_event: OrderEvent) -> None:
        # Booked through on_order_event (LEAN reports it there too); here only the notice.
        with self._lock:
            self._journal.record(self._market.now(), "info", "LEAN reports an assignment: "
                                 f"{assignment_event.symbol.value} x{assignment_event.fill_quantity}")

    def on_margin_call_warning(self) -> None:
        with self._lock:
            self._journal.record(self._market.now(), "error", "margin call warning from the brokerage model")

    # LEAN's Python wrapper expects the (possibly edited) order list back; the stubs copy the C#
    # signature, which returns nothing and edits the list in place.
    def on_margin_call(self, requests: list[SubmitOrderRequest]) -> list[SubmitOrderRequest]:  # type: ignore[override]
        """LEAN proposes liquidation orders; they are left as LEAN chose and the books are
        reconciled on the next minute."""
        with self._lock:
            self._journal.record(self._market.now(), "error", f"margin call: LEAN liquidates {len(requests)} orders")
            self._reconcile_due = True
        return requests

    def on_end_of_algorithm(self) -> None:
        with self._lock:
            self._summarise()

    def _summarise(self) -> None:
        now = self._market.now()
        self._system.save()
        trades = self._system.book.trades
        for name, figures in strategy_statistics(trades).items():
            wins = "n/a" if figures["win_rate"] is None else f"{figures['win_rate']:.0%}"
            self.log(f"summary {name}: {figures['trades']} trades, P&L {figures['pnl']:,.2f}, win rate {wins}")
        self.log(f"summary: {len(trades)} closed trades, {self._system.open_position_count()} open positions, "
                 f"sessions per regime {regime_days(self._regimes)}, journal {self._journal.counts()}, "
                 f"denials {self._journal.denials_by_reason()}")
        for name, value in runtime_statistics(self._system.account_snapshot(now), self._journal.count_by("denial")).items():
            self.set_runtime_statistic(name, value)

    # --- scheduled events ---------------------------------------------------------------------

    def _on_session_start(self) -> None:
        if self.is_warming_up:
            return
        now = self._market.now()
        self._top_up_daily_bars(now.date())
        self._market.record_session_open()
        self._reconcile_if_due(now)
        self._guarded(lambda: self._system.on_session_start(now.date(), now))
        if self._sweep is not None:
            self._guarded(self._sweep.rebalance)

    def _on_minute(self) -> None:
        if self.is_warming_up:
            return
        now = self._market.now()
        self._deliveries.close_all()
        if not is_nyse_open(now):
            return
        if self._system.breakers.session != now.date():
            # LEAN's one-minute rule counts from midnight (Lean Common/Scheduling/TimeRules.cs:404),
            # so it fires at the open (09:30:00), a minute before the session-start event
            # (after_market_open + 1): that tick is skipped. Later in the day the core's session is
            # not today only after a live start or restart past 09:31 with no saved state of today
            # (LEAN skips the events whose time has passed: Engine/RealTime/
            # BacktestingRealTimeHandler.cs:55,71, the base of LiveTradingRealTimeHandler.cs:33):
            # start the day here first.
            if now <= session_open_close(now.date())[0]:
                return
            self._on_session_start()
        self._reconcile_if_due(now)
        self._guarded(lambda: self._system.on_minute(now))

    def _on_session_end(self) -> None:
        if self.is_warming_up:
            return
        now = self._market.now()
        self._guarded(lambda: self._system.on_session_end(now))
        account = self._system.account_snapshot(now)
        if account.regime in REGIME_NAMES:  # "UNKNOWN" before the first usable VIX
            self._regimes.append(account.regime)
        vix = self._market.vix()
        plot_session(self._charts, account, vix[0] if vix else None, self._system.strategies)
        for name, value in runtime_statistics(account, self._journal.count_by("denial")).items():
            self.set_runtime_statistic(name, value)

    def _on_window(self, strategy: str) -> None:
        """A strategy's entry window opens: say once a day when its product has no option data.
        LEAN's weekday date rule fires on exchange holidays too; those days are skipped."""
        if self.is_warming_up:
            return
        root = self._plan.strategy_products.get(strategy)
        today = self._market.now().date()
        if root is None or not is_trading_day(product_spec(root).calendar, today):
            return
        if self._idle_reported.get(strategy) == today or self._market.has_chain(root):
            return
        self._idle_reported[strategy] = today
        self._journal.record(self._market.now(), "info", f"no {root} option data: {strategy} stays idle today",
                             strategy=strategy, product=root)

    # --- helpers ------------------------------------------------------------------------------

    def _reconcile_if_due(self, now: datetime) -> None:
        """Compare the restored books with the broker. Live, orders left by an earlier run are
        cancelled first: the restored core no longer works them, and one could fill twice."""
        if not self._reconcile_due:
            return
        self._reconcile_due = False
        if self.live_mode and not self._stale_orders_checked:
            self._stale_orders_checked = True
            cancelled: set[int] = set()
            for ticket in self.transactions.get_open_order_tickets():
                if self._tracker.owns(ticket.order_id, ticket.symbol) or ticket.order_id in cancelled:
                    continue
                group = self.transactions.get_order_by_id(ticket.order_id).group_order_manager
                cancelled.update([ticket.order_id] if group is None else [int(i) for i in group.order_ids])
                self._report_problem(f"cancelling order {ticket.order_id} ({ticket.symbol.value}) left by an "
                                     "earlier run")
                ticket.cancel("left by an earlier run")  # one request cancels a whole combo
            self._deliveries.adopt_held()
            working = {order_id: order.intent.intent_id for order_id, order in self._system.orders.items()}
            self._relay.push(stale_order_events(working, self._tracker, now))
        self._guarded(lambda: self._system.reconcile(now))

    def _parameter(self, name: str) -> str | None:
        return self.get_parameter(name)

    def _guarded(self, call: Callable[[], object]) -> None:
        """Run a core call under the lock, with order events held until it returns. Live, an
        exception is journaled and the algorithm keeps managing; in a backtest it stops the run (a
        bug must be seen)."""
        with self._lock, self._relay.holding():
            run_guarded(call, self.live_mode, self._report_problem)

    def _locked(self, handler: Callable[[], None]) -> Callable[[], None]:
        """A scheduled handler that runs under the lock."""
        def run() -> None:
            with self._lock:
                handler()

        return run

    def _locked_window(self, strategy: str) -> None:
        with self._lock:
            self._on_window(strategy)

    def _deliver(self, event: CoreOrderEvent) -> None:
        self._guarded(lambda: self._system.on_order_event(event))

    def _note(self, message: str) -> None:
        self._journal.record(self._market.now(), "info", message)

    def _report_problem(self, message: str) -> None:
        self._journal.record(self._market.now(), "error", message)

    def _send_notification(self, subject: str, body: str) -> None:
        targets = self._notify_targets
        if targets.email:
            self.notify.email(targets.email, subject, body)
        if targets.telegram_id:
            self.notify.telegram(targets.telegram_id, f"{subject}\n{body}")

    def _underlying_price(self, event: OrderEvent) -> float | None:
        symbol = event.symbol
        if not symbol.has_underlying or not self.securities.contains_key(symbol.underlying):
            return None
        return float(self.securities[symbol.underlying].price)

    def _record_daily_bars(self, slice: Slice) -> None:
        """Daily bars of the warm-up into the book (the warm-up runs at daily resolution)."""
        for root in self._plan.daily_roots:
            symbol = self._subscriptions.underlyings.get(root)
            bar = slice.bars.get(symbol) if symbol is not None else None
            if bar is not None:
                self._bars.add(root, bar.time.date(), bar.open, bar.high, bar.low, bar.close)

    def _top_up_daily_bars(self, today: date) -> None:
        """Fetch the daily bars completed since the newest one held (a whole lookback when empty)."""
        capacity = self._bars.capacity
        for root in self._plan.daily_roots:
            symbol = self._subscriptions.underlyings.get(root)
            last = self._bars.last_date(root)
            if symbol is None or last == today:
                continue
            missing = capacity if last is None else min(capacity, len(nyse_sessions(last, today)) + 2)
            for bar in self.history[TradeBar](symbol, missing, Resolution.DAILY):
                day = bar.time.date()
                if day < today:
                    self._bars.add(root, day, bar.open, bar.high, bar.low, bar.close)
