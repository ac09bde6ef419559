"""Exit reasons: one typed value each, with the lifecycle events they drive."""
from __future__ import annotations

import pytest

from config.loader import load_config
from core.exit_reasons import BROKER, SYSTEM, ExitReason
from core.position_lifecycle import PositionEvent
from core.strategy_lifecycle import StrategyEvent
from strategies.registry import build_strategies


@pytest.mark.parametrize(("reason", "event"), [
    (ExitReason.PROFIT_TARGET, StrategyEvent.TARGET_HIT), (ExitReason.STOP_LOSS, StrategyEvent.STOP_HIT),
    (ExitReason.TIME_EXIT, StrategyEvent.TIME_EXIT), (ExitReason.DELTA_STOP, StrategyEvent.EXIT_SIGNAL),
    (ExitReason.DRAWDOWN_LIQUIDATION, StrategyEvent.EXIT_SIGNAL), (ExitReason.ROLL, StrategyEvent.EXIT_SIGNAL),
])
def test_a_close_drives_the_strategy_event_of_its_reason(reason, event):
    assert reason.strategy_event == event


def test_broker_outcomes_drive_the_position_event():
    assert [r.position_event for r in (ExitReason.EXPIRED_WORTHLESS, ExitReason.CASH_SETTLEMENT,
                                       ExitReason.EXPIRY_EXERCISE, ExitReason.EARLY_ASSIGNMENT)] == [
        PositionEvent.EXPIRED, PositionEvent.EXPIRED, PositionEvent.ASSIGNED, PositionEvent.ASSIGNED]
    with pytest.raises(ValueError, match="closed_by_broker is no expiry"):
        ExitReason.CLOSED_BY_BROKER.position_event  # noqa: B018 - the property raises


def test_the_text_is_the_value_the_trade_log_has_always_shown():
    assert f"{ExitReason.NAKED_PROFIT_TARGET}" == str(ExitReason.NAKED_PROFIT_TARGET) == "naked_profit_target"
    assert ExitReason("stop_loss") is ExitReason.STOP_LOSS
    with pytest.raises(ValueError):
        ExitReason("stop")


def test_every_strategy_declares_typed_reasons_apart_from_the_system_and_broker_ones():
    for strategy in build_strategies(load_config()):
        assert all(isinstance(reason, ExitReason) for reason in strategy.exits), strategy.key
        assert strategy.exits or strategy.holds_to_expiry, strategy.key  # the weekly butterfly: held to expiry
        assert not strategy.exits & (SYSTEM | BROKER), strategy.key
