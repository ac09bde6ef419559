"""Why a position, or part of it, is closed: one typed value per reason (the trade log's exit_reason).

A strategy's management closes for the reasons it declares (strategies.base.Strategy.exits); the
trading system closes for its own two (SYSTEM); the broker's outcomes (expiry, exercise, assignment,
settlement, a holding taken away) close what they remove (BROKER). Each reason knows the event it
drives in the strategy's lifecycle (core/strategy_lifecycle.py) and, for the broker's outcomes, in
the position's lifecycle (core/position_lifecycle.py).
"""
from __future__ import annotations

from enum import StrEnum

from core.position_lifecycle import PositionEvent
from core.strategy_lifecycle import StrategyEvent


class ExitReason(StrEnum):
    """A closing reason; its value is the text the trade log and the journal show."""

    # the strategies' rules
    PROFIT_TARGET = "profit_target"
    STOP_LOSS = "stop_loss"
    TIME_EXIT = "time_exit"
    DELTA_STOP = "delta_stop"
    NAKED_DELTA = "naked_delta"
    DISTANCE_STOP = "distance_stop"
    NAKED_PROFIT_TARGET = "naked_profit_target"
    SHORT_PROFIT_TARGET = "short_profit_target"
    REGIME_EXIT = "regime_exit"
    VIX_EXIT = "vix_exit"
    ROLL = "roll"
    ITM_EXIT = "itm_exit"
    LEAP_STOP = "leap_stop"
    LEAP_ROLL = "leap_roll"
    SHORT_CALL_EXPIRY = "short_call_expiry"
    SHORT_CALL_TARGET = "short_call_target"
    SHARES_OVER_CAP = "shares_over_cap"
    # the trading system's, for any strategy
    DRAWDOWN_LIQUIDATION = "drawdown_liquidation"
    EXPIRY_DAY_EXIT = "expiry_day_exit"
    # the broker's
    EXPIRED_WORTHLESS = "expired_worthless"
    CASH_SETTLEMENT = "cash_settlement"
    EXPIRY_EXERCISE = "expiry_exercise"
    EARLY_ASSIGNMENT = "early_assignment"
    CLOSED_BY_BROKER = "closed_by_broker"

    @property
    def strategy_event(self) -> StrategyEvent:
        """The strategy-lifecycle event of a close submitted for this reason."""
        if self is ExitReason.PROFIT_TARGET:
            return StrategyEvent.TARGET_HIT
        if self is ExitReason.STOP_LOSS:
            return StrategyEvent.STOP_HIT
        if self is ExitReason.TIME_EXIT:
            return StrategyEvent.TIME_EXIT
        return StrategyEvent.EXIT_SIGNAL

    @property
    def position_event(self) -> PositionEvent:
        """The position-lifecycle event of a broker outcome: EXPIRED for an expiry without delivery
        (worthless, cash-settled), ASSIGNED for an exercise or assignment. Raises ValueError for a
        reason that is no expiry, exercise or assignment."""
        if self in (ExitReason.EXPIRED_WORTHLESS, ExitReason.CASH_SETTLEMENT):
            return PositionEvent.EXPIRED
        if self in (ExitReason.EXPIRY_EXERCISE, ExitReason.EARLY_ASSIGNMENT):
            return PositionEvent.ASSIGNED
        raise ValueError(f"{self.value} is no expiry, exercise or assignment")


SYSTEM = frozenset({ExitReason.DRAWDOWN_LIQUIDATION, ExitReason.EXPIRY_DAY_EXIT})
BROKER = frozenset({ExitReason.EXPIRED_WORTHLESS, ExitReason.CASH_SETTLEMENT, ExitReason.EXPIRY_EXERCISE,
                    ExitReason.EARLY_ASSIGNMENT, ExitReason.CLOSED_BY_BROKER})
