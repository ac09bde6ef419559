"""Orders and the session's close (SPEC section 9).

* No order works past its session's close: the broker ends DAY orders at the close. A close that
  expired unfilled is noted on its position and re-sent at the first minute of the next session,
  for the contracts still held (both steps journaled); an expired opening order simply lapses.
* On expiry day, legs expiring that day are closed from `expiry_day_close_start` on (the deadline
  `order_expiry_close_deadline` less the order time-out), so the whole price ladder runs before the
  deadline; strategies that hold to expiry by rule are left alone (Strategy.holds_to_expiry).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from config.framework_parameters import OrderParameters
from config.parameter_fields import parse_hhmm
from core.engine.desk import Desk
from core.engine.order_manager import WorkingOrder
from core.engine.order_routing import OrderRouter
from core.exit_reasons import ExitReason
from core.position import PendingClose, Position
from core.types import OrderEvent, OrderIntent, OrderStatus, Purpose
from helpers.exchange_calendar import eastern_datetime, session_open_close
from strategies.base import DecisionContext, Strategy, close_intent

EXPIRY_EXIT = ExitReason.EXPIRY_DAY_EXIT
# On a half day the expiry-day deadline keeps its distance from the close (15:30 is 30 minutes
# before a 16:00 close; 12:30 before a 13:00 one).
EXPIRY_DEADLINE_BEFORE_CLOSE = timedelta(minutes=30)


def expiry_day_close_start(now: datetime, order: OrderParameters) -> datetime:
    """When closes of legs expiring on the session of `now` must start: the expiry-day deadline
    (`order_expiry_close_deadline`, at most 30 minutes before that session's close) less the order
    time-out, so that the whole price ladder runs before the deadline (SPEC section 9)."""
    close = session_open_close(now.date())[1]
    at = parse_hhmm(order.expiry_close_deadline, "order_expiry_close_deadline")
    deadline = eastern_datetime(now.date(), at.hour, at.minute)
    return min(deadline, close - EXPIRY_DEADLINE_BEFORE_CLOSE) - timedelta(minutes=order.timeout_minutes)


def expired_at_close(order: WorkingOrder, cancelled_at: datetime) -> bool:
    """True when a cancel the system did not ask for came at or after the session's close: a DAY
    order that expired unfilled (SPEC section 9: no order works past its session's close). LEAN
    expires a DAY equity or option order once the time reaches the market close of its order day
    (Common/Orders/TimeInForces/DayTimeInForce.cs, line 75); the simulated broker at the close."""
    return not order.cancel_requested and cancelled_at >= session_open_close(order.submitted.date())[1]


def expiry_day_exit(strategy: Strategy, position: Position, ctx: DecisionContext) -> list[OrderIntent]:
    """A close of the position's legs expiring today once `expiry_day_close_start` is reached, unless
    the strategy holds to expiry; else nothing."""
    if strategy.holds_to_expiry:
        return []
    expiring = [c for c, _ in position.contracts() if c.expiry == ctx.today]
    if not expiring or ctx.now < expiry_day_close_start(ctx.now, ctx.config.order):
        return []
    intent = close_intent(ctx, position, EXPIRY_EXIT, expiring)
    return [intent] if intent is not None else []


def note_expired_close(desk: Desk, order: WorkingOrder, event: OrderEvent) -> None:
    """When `event` cancels a DAY order that expired unfilled at the close (`expired_at_close`):
    journal it, and note a close on its position for `resend_closes` at the next session's open."""
    now = event.time
    if event.status != OrderStatus.CANCELLED or not expired_at_close(order, now):
        return
    intent = order.intent
    desk.journal.record(now, "order", f"{intent.purpose.value} order expired unfilled at the close: {intent.reason}",
                          strategy=intent.strategy, order_id=order.order_id, limit=order.limit_price)
    position = desk.state.book.get(intent.position_id or "")
    if intent.purpose == Purpose.CLOSE and position is not None:
        position.terms.resend_close = PendingClose(ExitReason(intent.reason),
                                                   tuple(leg.contract.key for leg in intent.legs))


def resend_closes(desk: Desk, router: OrderRouter, now: datetime) -> None:
    """Re-send the closes noted by `note_expired_close` (at the first minute the strategy has no
    working order), for the contracts still held; journaled."""
    for position in desk.state.book.all_open():
        note = position.terms.resend_close
        if note is None or desk.state.has_working_order(position.strategy):
            continue
        position.terms.resend_close = None
        held = [c for c, _ in position.contracts() if c.key in note.contracts]
        intent = close_intent(desk.context(now), position, note.reason, held) if held else None
        if intent is None:
            desk.journal.record(now, "info", f"close of {position.position_id} not re-sent: nothing of it is "
                                  "held or quoted now", strategy=position.strategy, reason=note.reason)
            continue
        desk.journal.record(now, "order", f"close re-sent at the open ({note.reason}): the order expired "
                              "unfilled at the last close", strategy=position.strategy, position_id=position.position_id)
        router.route(intent, now, desk.account_snapshot(now))
