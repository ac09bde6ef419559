"""What every role of the trading system works with: the market and the broker, the risk gate, the
state, and the roots whose market data is bad today; the account snapshot and the strategies'
decision context are made from them."""
from __future__ import annotations

from datetime import date, datetime

from config.loader import FrameworkConfig
from core.account import AccountSnapshot
from core.engine.system_state import SystemState
from core.ports import Broker, MarketView
from core.strategy_lifecycle import StrategyEvent
from core.types import Contract, Quote
from helpers.exchange_calendar import add_sessions
from reporting.journal import Journal
from risk.risk_gate import RiskGate
from strategies.base import DecisionContext

# What a failing strategy decision may raise; the strategy goes to ERROR, the others keep running.
STRATEGY_FAULTS = (ArithmeticError, IndexError, KeyError, TypeError, ValueError)


class Desk:
    """The trading system's parts, shared by its roles (routing, management, entries, fills)."""

    def __init__(self, config: FrameworkConfig, market: MarketView, broker: Broker, gate: RiskGate,
                 state: SystemState) -> None:
        self.config = config
        self.market = market
        self.broker = broker
        self.gate = gate
        self.state = state
        # root -> why its market data is bad today (set by the offline engine each session): no new
        # positions on it; open ones are still managed
        self.bad_data_roots: dict[str, str] = {}

    @property
    def journal(self) -> Journal:
        return self.state.journal

    def valid_quote(self, contract: Contract) -> Quote | None:
        """The contract's quote when it is valid, else None."""
        quote = self.market.quote(contract)
        return quote if quote is not None and quote.valid else None

    def account_snapshot(self, now: datetime) -> AccountSnapshot:
        state = self.state
        regime = state.vix.regime
        return AccountSnapshot(
            time=now, net_liquidation=self.broker.net_liquidation(), margin_used=self.broker.margin_used(),
            high_water_mark=state.breakers.high_water_mark, day_start_value=state.breakers.day_start_value,
            losing_streak_today=state.breakers.losing_streak, phase=state.phases.phase,
            regime=regime.value if regime else "UNKNOWN", vix_usable=state.vix.usable(now),
            intraday_spike=state.vix.intraday_spike, open_positions=state.book.summaries(state.orders.values()),
            entries_paused_until=self._paused_until(now.date()),
            spike_budget_remaining=state.vix.spike_budget_remaining)

    def _paused_until(self, today: date) -> date | None:
        """Last session of a post-liquidation pause (inclusive), None when not paused."""
        remaining = self.state.breakers.pause_sessions_remaining
        return add_sessions(today, remaining - 1) if remaining > 0 else None

    def context(self, now: datetime, account: AccountSnapshot | None = None) -> DecisionContext:
        """A decision context; the account snapshot is taken only if a strategy asks for it."""
        state = self.state
        return DecisionContext(now=now, market=self.market, config=self.config, regime=state.vix.regime,
                               vix=state.vix.value, new_intent_id=lambda: state.next_id("I"),
                               account_source=(lambda: account) if account else (lambda: self.account_snapshot(now)))

    def error(self, key: str, now: datetime, message: str) -> None:
        """A strategy failed (a fault in its code or data): journal it and move its state machine to
        ERROR (auto-recovery after the time-out; the session's third error suspends it)."""
        self.journal.record(now, "error", message, strategy=key)
        self.state.apply(key, StrategyEvent.ERROR, now, message)
