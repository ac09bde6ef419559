"""The trading system's state, and its schema-versioned JSON document.

One object holds everything the trading system must remember across a restart: positions, working
orders, state machines, Kelly statistics, breakers, phase, VIX manager and each strategy's memory.
The same document is written to LEAN's ObjectStore and to the offline engine's file store under
"<mode prefix>/system", so a restart in either engine restores exactly what was running.

Saving is frequent (after every fill, order and management round) and the document grows over a run
(closed trades, the VIX regime history), so a save does not encode it all again: the records that
never change once made are read-only documents whose text is kept (LAYOUT below says where they
are), the other parts reuse their text while their exact value is unchanged (core/document_text.py),
and the whole text is compared with the one saved last: an unchanged document is not written
again, a changed one always is.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from config.loader import FrameworkConfig
from core.document_text import ANY, LIST, DocumentText
from core.engine.order_manager import WorkingOrder
from core.ports import Store
from core.position_book import PositionBook
from core.position_lifecycle import PositionEvent
from core.strategy_lifecycle import StrategyEvent, StrategyStateMachine
from core.unified_position_sizer import TradeStatistics
from core.vix_manager import VixManager
from reporting.journal import Journal
from risk.account_phases import PhaseTracker
from risk.breakers import BreakerState
from strategies.base import Strategy
from strategies.registry import shares_strategy

SCHEMA_VERSION = 1
# The lists of read-only records in the document (core/document_text.py): each record's text is kept.
LAYOUT = {"vix": {"history": LIST, "problems": LIST}, "book": {"trades": LIST, "lifecycles": {ANY: {"history": LIST}}},
          "machines": {ANY: {"history": LIST}}}


class SystemState:
    """What the trading system remembers, the bookkeeping on it, and its document in the store."""

    def __init__(self, config: FrameworkConfig, strategies: dict[str, Strategy], journal: Journal, store: Store,
                 key_prefix: str, initial_net_liq: float) -> None:
        self.config = config
        self.strategies = strategies  # their memory is part of the document
        self.journal = journal
        self.store = store
        self.key_prefix = key_prefix
        self.vix = VixManager(config.vix)
        self.breakers = BreakerState(config.risk)
        self.phases = PhaseTracker.start(initial_net_liq, config.risk.phase_hysteresis)
        self.machines = {key: StrategyStateMachine(key, config.risk) for key in strategies}
        self.statistics = {key: TradeStatistics() for key in strategies}
        self.book = PositionBook(journal, store, key_prefix, shares_strategy())
        self.orders: dict[str, WorkingOrder] = {}
        self.timed_out_entries: set[str] = set()  # opening orders cancelled for their time-out
        self.sequence = 0
        self.last_management: datetime | None = None
        self.skips_journaled: dict[str, str] = {}
        self.fill_events: dict[str, list[str]] = {}  # order id -> fills booked (repeats are ignored)
        self._text = DocumentText(LAYOUT)
        self._saved: str | None = None  # the text of the document last saved by this object

    # --- bookkeeping ------------------------------------------------------------------------

    def next_id(self, prefix: str) -> str:
        """A new identifier (intents "I", positions "P") from the one persisted sequence."""
        self.sequence += 1
        return f"{prefix}{self.sequence:06d}"

    def holding(self, key: str) -> bool:
        """Whether strategy `key` holds anything, including the filled part of an entry still working
        (a partial fill): the state machines' "has positions"."""
        return any(p.strategy == key and p.holdings for p in self.book.positions.values() if p.state != "closed")

    def has_working_order(self, key: str) -> bool:
        return any(o.intent.strategy == key for o in self.orders.values())

    def apply(self, key: str, event: StrategyEvent, now: datetime, reason: str) -> None:
        """Apply `event` to strategy `key`'s state machine when its table allows it from the current
        state (broadcast events such as a regime change matter only in some states)."""
        machine = self.machines[key]
        if machine.allows(event):
            machine.apply(event, now, reason, self.holding(key))

    def position_step(self, position_id: str | None, event: PositionEvent, now: datetime, reason: str) -> None:
        position = self.book.get(position_id or "")
        if position is not None:
            self.book.step(position, event, now, reason)

    # --- the document -----------------------------------------------------------------------

    def save(self) -> None:
        """Persist the document under the mode-prefixed key, unless its text is exactly the one this
        object saved last (nothing changed since, types included: 1 and 1.0 differ): then the store
        already holds it and nothing is written."""
        text = self._text.text(self.to_dict())
        if text == self._saved:
            return
        self.store.save_text(f"{self.key_prefix}/system", text)
        self._saved = text

    def restore(self) -> bool:
        """Load the document saved under the key prefix; False when there is none.

        Raises:
            ValueError: the stored document is from another schema version or is malformed
                (never silently ignored: losing track of positions loses money).
        """
        document = self.store.load(f"{self.key_prefix}/system")
        if document is None:
            return False
        if document.get("schema") != SCHEMA_VERSION:
            raise ValueError(f"stored state {self.key_prefix}/system has schema {document.get('schema')!r}; "
                             f"this version reads schema {SCHEMA_VERSION}")
        try:
            self._load(document)
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"stored state {self.key_prefix}/system is malformed: {error}") from error
        return True

    def to_dict(self) -> dict[str, Any]:
        """The whole state as JSON-safe values."""
        return {"schema": SCHEMA_VERSION, "sequence": self.sequence, "vix": self.vix.to_dict(),
                "breakers": self.breakers.to_dict(), "phases": self.phases.to_dict(),
                "machines": {k: m.to_dict() for k, m in self.machines.items()},
                "statistics": {k: s.to_dict() for k, s in self.statistics.items()},
                "memory": {k: s.memory for k, s in self.strategies.items()},
                "book": self.book.to_dict(), "orders": [o.to_dict() for o in self.orders.values()],
                "last_management": self.last_management.isoformat() if self.last_management else None,
                "skips_journaled": self.skips_journaled, "fill_events": self.fill_events}

    def _load(self, document: dict[str, Any]) -> None:
        risk = self.config.risk
        self.sequence = int(document["sequence"])
        self.vix = VixManager.from_dict(document["vix"], self.config.vix)
        self.breakers = BreakerState.from_dict(document["breakers"], risk)
        self.phases = PhaseTracker.from_dict(document["phases"], risk.phase_hysteresis)
        for key, data in document["machines"].items():
            if key in self.machines:
                self.machines[key] = StrategyStateMachine.from_dict(data, risk=risk)
        for key, data in document["statistics"].items():
            if key in self.statistics:
                self.statistics[key] = TradeStatistics.from_dict(data)
        for key, memory in document["memory"].items():
            if key in self.strategies:
                self.strategies[key].memory = dict(memory)
        self.book = PositionBook.from_dict(document["book"], self.journal, self.store, self.key_prefix,
                                         self.book.shares_strategy)
        self.orders = {o["order_id"]: WorkingOrder.from_dict(o) for o in document["orders"]}
        last = document.get("last_management")
        self.last_management = datetime.fromisoformat(last) if last else None
        self.skips_journaled = dict(document.get("skips_journaled", {}))
        self.fill_events = {k: list(v) for k, v in document.get("fill_events", {}).items()}
