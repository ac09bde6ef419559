"""Working orders: the price-improvement ladder and time-outs (SPEC section 9).

An order starts at the mid. At most every `order_step_seconds` its limit moves toward the natural
price along a straight line in time that reaches the natural price at 80% of the order's time-out
(at least one tick per step, never past the natural price, nor past the intent's `price_bound`: the
worst price its entry rule allows); at the time-out it is cancelled. On a
one-cent-wide market this is the classic one-tick ladder; on a wide market (a LEAP, a volatile
open) it still reaches the natural price before giving up, whatever the engine's clock cadence.
The order router (core/engine/order_routing.py) runs the ladder and the time-outs once a minute.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from config.constants import product_spec
from core.prices import round_to_tick
from core.types import OrderIntent

LADDER_SHARE_OF_TIMEOUT = 0.8  # the limit reaches the natural price at this share of the time-out


@dataclass
class WorkingOrder:
    """One order at the broker that is not final yet."""

    order_id: str
    intent: OrderIntent
    submitted: datetime
    limit_price: float
    last_step: datetime
    filled_units: int = 0
    cancel_requested: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"order_id": self.order_id, "intent": self.intent.to_dict(), "submitted": self.submitted.isoformat(),
                "limit_price": self.limit_price, "last_step": self.last_step.isoformat(),
                "filled_units": self.filled_units, "cancel_requested": self.cancel_requested}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> WorkingOrder:
        return WorkingOrder(order_id=data["order_id"], intent=OrderIntent.from_dict(data["intent"]),
                            submitted=datetime.fromisoformat(data["submitted"]),
                            limit_price=float(data["limit_price"]),
                            last_step=datetime.fromisoformat(data["last_step"]),
                            filled_units=int(data["filled_units"]), cancel_requested=bool(data["cancel_requested"]))


def ladder_ceiling(intent: OrderIntent) -> float | None:
    """The highest limit the ladder may reach: the natural price, capped by the rule's price bound."""
    natural = intent.natural_price
    if natural is None or intent.price_bound is None:
        return natural
    return min(natural, intent.price_bound)


def next_limit(order: WorkingOrder, now: datetime, step_seconds: int) -> float | None:
    """The improved limit if a step is due now, else None. Never moves past the natural price nor
    past the intent's price bound.

    Net prices are signed (debit positive, credit negative), so improving for the market means
    raising the limit toward the natural price for both debits and credits.
    """
    ceiling = ladder_ceiling(order.intent)
    if ceiling is None or now - order.last_step < timedelta(seconds=step_seconds):
        return None
    if order.limit_price >= ceiling:
        return None
    tick = product_spec(order.intent.legs[0].contract.root).tick_size
    elapsed = (now - order.submitted).total_seconds()
    progress = min(1.0, elapsed / (LADDER_SHARE_OF_TIMEOUT * order.intent.timeout_seconds))
    start = order.intent.limit_price
    target = start + (ceiling - start) * progress
    candidate = min(max(math.ceil(target / tick - 1e-9) * tick, order.limit_price + tick), ceiling)
    candidate = round_to_tick(candidate, tick)
    if candidate == 0.0:  # a zero limit is refused by the broker; skip over it
        candidate = round_to_tick(min(candidate + tick, ceiling), tick)
    if candidate == 0.0 or candidate <= order.limit_price:
        return None
    return candidate


def timed_out(order: WorkingOrder, now: datetime) -> bool:
    """True once the order has worked for longer than its intent's time-out."""
    return now - order.submitted >= timedelta(seconds=order.intent.timeout_seconds)


def timeout_reason(order: WorkingOrder) -> str:
    """Why a timed-out order goes unfilled: its limit stopped at the rule's price bound (before the
    natural price), or plain time."""
    bound = order.intent.price_bound
    natural = order.intent.natural_price
    if bound is not None and order.limit_price >= bound and (natural is None or bound < natural):
        return f"not filled inside its rule's price bound {bound:g}"
    return "not filled in time"
