"""Management's round: which strategies' positions are managed, in which order, and what an order
sent during the round changes for the strategies after it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from core.engine.management import Management
from core.strategy_lifecycle import StrategyState

NOW = datetime(2024, 8, 12, 10, 30)


@dataclass
class Held:
    position_id: str
    strategy: str


class Book:
    def __init__(self, positions: list[Held]) -> None:
        self.positions = positions

    def all_open(self) -> list[Held]:
        return list(self.positions)


class Recording(Management):
    """Management whose per-position step is scripted: it records the call, and for the positions in
    `sends` it sends an order (a working order of that strategy) that also takes `closes` out of the book."""

    def __init__(self, desk: Any, sends: dict[str, str]) -> None:
        super().__init__(desk, router=None)  # type: ignore[arg-type]
        self.sends = sends
        self.calls: list[tuple[str, int]] = []

    def manage_position(self, strategy: Any, position: Any, now: datetime, ctx: Any) -> bool:
        self.calls.append((position.position_id, ctx))
        closes = self.sends.get(position.position_id)
        if closes is None:
            return False
        state = self.desk.state
        state.orders[f"O-{position.position_id}"] = SimpleNamespace(intent=SimpleNamespace(strategy=position.strategy))
        state.book.positions = [p for p in state.book.positions if p.position_id != closes]
        return True


def desk_with(positions: list[Held], busy: list[str], machines: dict[str, StrategyState]) -> Any:
    contexts = iter(range(1, 100))
    state = SimpleNamespace(
        strategies={key: SimpleNamespace(key=key) for key in machines},
        machines={key: SimpleNamespace(state=value) for key, value in machines.items()},
        book=Book(positions),
        orders={f"O-{key}": SimpleNamespace(intent=SimpleNamespace(strategy=key)) for key in busy})
    return SimpleNamespace(state=state, context=lambda now: next(contexts))


def test_each_strategy_manages_its_positions_until_it_sends_an_order():
    positions = [Held("a1", "a"), Held("c1", "c"), Held("b1", "b"), Held("a2", "a"), Held("c2", "c"),
                 Held("d1", "d"), Held("e1", "e"), Held("c3", "c")]
    machines = {"a": StrategyState.MANAGING, "b": StrategyState.MANAGING, "c": StrategyState.MANAGING,
                "d": StrategyState.ERROR, "e": StrategyState.SUSPENDED, "f": StrategyState.IDLE}
    management = Recording(desk_with(positions, busy=["b"], machines=machines), sends={"a1": "c1"})
    management.manage_all(NOW)
    # a sends on its first position (its round ends); b has a working order; c's first position left
    # the book with a's order, and c is managed with the context made after that order; d and e rest
    assert management.calls == [("a1", 1), ("c2", 2), ("c3", 2)]


def test_an_order_sent_makes_its_strategy_busy_for_the_next_round():
    positions = [Held("a1", "a"), Held("a2", "a"), Held("b1", "b")]
    machines = {"a": StrategyState.MANAGING, "b": StrategyState.MANAGING}
    management = Recording(desk_with(positions, busy=[], machines=machines), sends={"a1": "none"})
    management.manage_all(NOW)
    management.manage_all(NOW)
    assert [call for call, _ in management.calls] == ["a1", "b1", "b1"]
