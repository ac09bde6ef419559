"""Switchable faults of the simulated broker (all off by default) and how events are delivered.

Used by the reliability tests to show that the trading core survives a misbehaving broker.
Every random decision comes from one `random.Random(seed)`, drawn only when the fault's
probability is above zero, so a run is reproducible and switching a fault off never shifts the
dice of the others. What each fault does:

- reject_probability: at submit, the order is rejected (REJECTED event, message "fault: ...").
- cancel_probability: at each `process(now)`, each working order is cancelled by the broker
  (CANCELLED event) with this probability, before fills are tried.
- partial_fill: an order of two or more units fills in two events, floor(q/2) units
  (PARTIALLY_FILLED) at the first fill opportunity and the rest (FILLED) at a later one. A combo
  unit is never split across legs, so one-unit orders fill whole.
- no_fill: working orders never fill until they are cancelled.
- worse_fill_ticks: the modelled fill point moves this many product ticks against the trader
  (higher for the signed net price), so an order needs a limit that much further from the mid
  before it fills. A broker fills at the limit or better, so this is slippage against the
  modelled mid, never a fill worse than the limit.
- early_assignment_probability: at each `check_early_assignment`, each short in-the-money
  American option that the rules did not assign is assigned with this probability.
- duplicate_events: every order event is delivered twice.
- out_of_order_events: an order's SUBMITTED acknowledgement is held back and delivered right
  after the order's next event (its fill, cancel, ...), so the core sees a fill before the ack.
- Margin calls are forced with `SimulatedBroker.force_margin_call(now)`.

Delivery: events are posted to an outbox and delivered by `flush()` in posting order, never from
inside the call that produced them, like a real broker's asynchronous stream: the trading core
knows an order id before any event about it arrives. Events posted while a flush runs (an order
sent from inside an event handler) are delivered by the same flush, after the handler returns.
"""
from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.types import OrderEvent, OrderStatus


@dataclass(frozen=True)
class BrokerFaults:
    """Fault switches of the simulated broker; see the module docstring for each one.

    Raises:
        ValueError: a probability outside [0, 1], or a tick count that is not an integer >= 0.
        TypeError: a seed that is not an integer.
    """

    reject_probability: float = 0.0
    cancel_probability: float = 0.0
    partial_fill: bool = False
    no_fill: bool = False
    worse_fill_ticks: int = 0
    early_assignment_probability: float = 0.0
    duplicate_events: bool = False
    out_of_order_events: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("reject_probability", "cancel_probability", "early_assignment_probability"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and 0.0 <= value <= 1.0):
                raise ValueError(f"broker fault {name} must be a probability in [0, 1], got {value!r}")
        if not isinstance(self.worse_fill_ticks, int) or self.worse_fill_ticks < 0:
            raise ValueError(f"broker fault worse_fill_ticks must be an integer >= 0, got {self.worse_fill_ticks!r}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise TypeError(f"broker fault seed must be an integer, got {self.seed!r}")


def event_to_dict(event: OrderEvent) -> dict[str, Any]:
    """An order event as a JSON-ready dictionary."""
    return {"order_id": event.order_id, "intent_id": event.intent_id, "status": event.status.value,
            "time": event.time.isoformat(), "fill_quantity": event.fill_quantity,
            "fill_price": event.fill_price, "fees": event.fees, "message": event.message,
            "leg_prices": list(event.leg_prices)}


def event_from_dict(data: dict[str, Any]) -> OrderEvent:
    """Inverse of `event_to_dict`."""
    return OrderEvent(order_id=data["order_id"], intent_id=data["intent_id"], status=OrderStatus(data["status"]),
                      time=datetime.fromisoformat(data["time"]), fill_quantity=int(data["fill_quantity"]),
                      fill_price=float(data["fill_price"]), fees=float(data["fees"]), message=data["message"],
                      leg_prices=tuple(float(price) for price in data["leg_prices"]))


class FaultInjector:
    """The seeded dice and the event outbox of the simulated broker."""

    def __init__(self, faults: BrokerFaults, on_event: Callable[[OrderEvent], None]) -> None:
        self.faults = faults
        self._on_event = on_event
        self._random = random.Random(faults.seed)
        self._held_acks: dict[str, OrderEvent] = {}
        self._outbox: list[OrderEvent] = []

    def chance(self, probability: float) -> bool:
        """True with `probability`; draws from the generator only when the probability is > 0."""
        return probability > 0.0 and self._random.random() < probability

    def acknowledge(self, event: OrderEvent) -> None:
        """Post a SUBMITTED ack, or hold it back when out_of_order_events is on."""
        if self.faults.out_of_order_events:
            self._held_acks[event.order_id] = event
        else:
            self.post(event)

    def post(self, event: OrderEvent) -> None:
        """Queue one event (twice with duplicate_events), then any ack held back for its order."""
        self._outbox.extend([event] * (2 if self.faults.duplicate_events else 1))
        held = self._held_acks.pop(event.order_id, None)
        if held is not None:
            self.post(held)

    def flush(self) -> None:
        """Deliver every queued event, oldest first, including those posted meanwhile."""
        while self._outbox:
            self._on_event(self._outbox.pop(0))

    def to_dict(self) -> dict[str, Any]:
        version, internal, gauss = self._random.getstate()
        return {"random_state": [version, list(internal), gauss],
                "held_acks": [event_to_dict(e) for e in self._held_acks.values()],
                "outbox": [event_to_dict(e) for e in self._outbox]}

    def restore(self, data: dict[str, Any]) -> None:
        """Restore the generator state, held-back acks and queued events saved by `to_dict`."""
        version, internal, gauss = data["random_state"]
        self._random.setstate((version, tuple(internal), gauss))
        self._held_acks = {e["order_id"]: event_from_dict(e) for e in data["held_acks"]}
        self._outbox = [event_from_dict(e) for e in data["outbox"]]
