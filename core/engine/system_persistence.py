"""The trading system's state as one schema-versioned JSON document, and back.

The same document is written to LEAN's ObjectStore and to the offline engine's file store under
"<mode prefix>/system", so a restart in either engine restores exactly what was running:
positions, working orders, state machines, Kelly statistics, breakers, phase, VIX manager and each
strategy's memory.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.engine.order_manager import WorkingOrder
from core.position_book import PositionBook
from core.strategy_lifecycle import StrategyStateMachine
from core.unified_position_sizer import TradeStatistics
from core.vix_manager import VixManager
from risk.account_phases import PhaseTracker
from risk.breakers import BreakerState

if TYPE_CHECKING:
    from core.engine.trading_system import TradingSystem

SCHEMA_VERSION = 1


def system_document(system: TradingSystem) -> dict[str, Any]:
    """The whole state of `system` as JSON-safe values."""
    return {"schema": SCHEMA_VERSION, "sequence": system.sequence, "vix": system.vix.to_dict(),
            "breakers": system.breakers.to_dict(), "phases": system.phases.to_dict(),
            "machines": {k: m.to_dict() for k, m in system.machines.items()},
            "statistics": {k: s.to_dict() for k, s in system.statistics.items()},
            "memory": {k: s.memory for k, s in system.strategies.items()},
            "book": system.book.to_dict(), "orders": [o.to_dict() for o in system.orders.values()],
            "last_management": system.last_management.isoformat() if system.last_management else None,
            "skips_journaled": system.skips_journaled, "fill_events": system.fill_events}


def restore_system(system: TradingSystem, document: dict[str, Any]) -> None:
    """Put the state saved by `system_document` back into `system`.

    Raises:
        ValueError: another schema version, or a malformed document (the message names the key).
    """
    if document.get("schema") != SCHEMA_VERSION:
        raise ValueError(f"stored state {system.key_prefix}/system has schema {document.get('schema')!r}; "
                         f"this version reads schema {SCHEMA_VERSION}")
    try:
        _restore(system, document)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"stored state {system.key_prefix}/system is malformed: {error}") from error


def _restore(system: TradingSystem, document: dict[str, Any]) -> None:
    risk = system.config.risk
    system.sequence = int(document["sequence"])
    system.vix = VixManager.from_dict(document["vix"], system.config.vix)
    system.breakers = BreakerState.from_dict(document["breakers"], risk)
    system.phases = PhaseTracker.from_dict(document["phases"], risk.phase_hysteresis)
    for key, data in document["machines"].items():
        if key in system.machines:
            system.machines[key] = StrategyStateMachine.from_dict(data, risk=risk)
    for key, data in document["statistics"].items():
        if key in system.statistics:
            system.statistics[key] = TradeStatistics.from_dict(data)
    for key, memory in document["memory"].items():
        if key in system.strategies:
            system.strategies[key].memory = dict(memory)
    system.book = PositionBook.from_dict(document["book"], system.journal, system.store, system.key_prefix,
                                         system.book.shares_strategy)
    system.orders = {o["order_id"]: WorkingOrder.from_dict(o) for o in document["orders"]}
    last = document.get("last_management")
    system.last_management = datetime.fromisoformat(last) if last else None
    system.skips_journaled = dict(document.get("skips_journaled", {}))
    system.fill_events = {k: list(v) for k, v in document.get("fill_events", {}).items()}
