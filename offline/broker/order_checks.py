"""The simulated broker's order checks: what it rejects before an order works (the margin check aside).

Single-leg limit or combo limit orders of at most 4 distinct, unexpired contracts on one root and
one multiplier, a positive integer quantity and a finite non-zero net limit per unit; no opening
sell of a same-day expiry in the session's last 30 minutes.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta

from core.types import Contract, OrderIntent, contract_multiplier
from helpers.exchange_calendar import is_nyse_session, session_open_close
from offline.broker.fill_rules import split_open_close

MAX_LEGS = 4  # Tastytrade combo orders
EXPIRY_DAY_CUTOFF = timedelta(minutes=30)  # no opening sells of same-day expiries this near the close


def order_problem(intent: OrderIntent, held: Callable[[Contract], int]) -> str | None:
    """Why the broker rejects `intent` (`held(contract)`: the signed quantity held now), or None."""
    legs, now = intent.legs, intent.created
    if not 1 <= len(legs) <= MAX_LEGS:
        return f"{len(legs)} legs: a (combo) limit order has 1 to {MAX_LEGS} legs"
    if not isinstance(intent.quantity, int) or intent.quantity <= 0:
        return f"quantity must be a positive integer, got {intent.quantity!r}"
    if not (math.isfinite(intent.limit_price) and intent.limit_price != 0):
        return f"limit price must be finite and non-zero, got {intent.limit_price!r}"
    if len({leg.contract.key for leg in legs}) != len(legs) or len(intent.roots) != 1:
        return "legs must be distinct contracts on one underlying root"
    try:
        if len({contract_multiplier(leg.contract) for leg in legs}) != 1:
            return "legs with different multipliers (shares and options) in one combo"
    except KeyError as error:  # unknown root
        return str(error.args[0])
    day = now.date()
    close = session_open_close(day)[1] if is_nyse_session(day) else now + timedelta(days=1)
    cutoff = close - EXPIRY_DAY_CUTOFF
    for leg in legs:
        expiry, change = leg.contract.expiry, leg.ratio * intent.quantity
        if expiry is not None and expiry < day:
            return f"{leg.contract.key} has expired"
        if expiry == day and now >= cutoff and change < 0 and split_open_close(held(leg.contract), change)[0]:
            return f"opening sell of {leg.contract.key} after {cutoff:%H:%M} on its expiry day"
    return None
