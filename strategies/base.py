"""What every strategy shares: the decision context, the strategy interface and intent builders.

A strategy decides; it never sends orders itself. The trading system (core/engine/trading_system.py)
asks it for an entry proposal inside its schedule window and for management actions on each
open position, then sizes, gates and routes the resulting OrderIntents.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cached_property, lru_cache, reduce
from typing import Any, Protocol

from config.constants import Regime, product_spec
from config.loader import FrameworkConfig
from core.account import AccountSnapshot
from core.exit_reasons import SYSTEM, ExitReason
from core.ports import MarketView
from core.position import Position
from core.prices import floor_to_tick, round_to_tick
from core.types import Contract, Leg, OrderIntent, Purpose, contract_multiplier
from core.unified_position_sizer import KellyInputs


@dataclass(frozen=True)
class DecisionContext:
    """Everything a strategy may look at for one decision. `regime` is None until the first valid
    VIX; the account snapshot is taken from `account_source` on first use only."""

    now: datetime
    market: MarketView
    config: FrameworkConfig
    regime: Regime | None
    vix: float | None
    new_intent_id: Callable[[], str]
    account_source: Callable[[], AccountSnapshot]

    @cached_property
    def account(self) -> AccountSnapshot:
        return self.account_source()

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def today_text(self) -> str:
        """Today as ISO text (what strategies keep in their memory)."""
        return self.today.isoformat()

    def at_or_after(self, hhmm: str) -> bool:
        return self.now.time() >= _parse(hhmm)

    def before(self, hhmm: str) -> bool:
        return self.now.time() < _parse(hhmm)

    def within(self, start: str, end: str) -> bool:
        """True when start <= now <= end (times of day, "HH:MM" ET)."""
        return _parse(start) <= self.now.time() <= _parse(end)

    def first_at_or_after(self, hhmm: str) -> datetime:
        """The first time from now on at which `at_or_after(hhmm)` holds: now, or `hhmm` today."""
        at = _parse(hhmm)
        return self.now if self.now.time() >= at else self.now.replace(hour=at.hour, minute=at.minute, second=0,
                                                                        microsecond=0)

    def first_within(self, start: str, end: str) -> datetime | None:
        """The first time from now on at which `within(start, end)` may hold today; None once `end`
        has passed."""
        return None if self.now.time() > _parse(end) else self.first_at_or_after(start)


@lru_cache(maxsize=256)
def _parse(hhmm: str) -> time:
    hours, minutes = hhmm.split(":")
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class Proposal:
    """An entry proposal: the intent plus the figures the sizer needs."""

    intent: OrderIntent
    kelly: KellyInputs | None  # None: sized by budget only (hedges)
    buying_power_cap: float  # per-position cap, fraction of net liquidation
    credit_unit: float  # USD per unit the Kelly statistics are normalised by (credit or risk)


class KellyPrior(Protocol):
    """A parameter section with a Kelly prior (SPEC section 3: average outcomes, not the stop)."""

    @property
    def kelly_win_rate(self) -> float: ...
    @property
    def kelly_avg_win(self) -> float: ...
    @property
    def kelly_avg_loss(self) -> float: ...


class EntryParameters(KellyPrior, Protocol):
    """A parameter section with a Kelly prior and a per-position buying-power cap."""

    @property
    def buying_power_cap(self) -> float: ...


def kelly_prior(params: KellyPrior) -> KellyInputs:
    """The sizer's Kelly inputs from a strategy's parameter section."""
    return KellyInputs(params.kelly_win_rate, params.kelly_avg_win, params.kelly_avg_loss)


# Exits the trading system takes for any strategy: the drawdown liquidation (a stop of the whole
# account) and the expiry-day close of legs expiring today (order_expiry_close_deadline).
SYSTEM_EXITS = SYSTEM


class Strategy(ABC):
    """A strategy: schedule windows, entry rules and management rules over its own positions.

    `exits` declares every reason its management may close with (besides SYSTEM_EXITS); the trading
    system refuses any other. `holds_to_expiry`: positions whose legs run into expiry by rule (the
    weekly butterfly, a ladder rung nobody bids for), so the expiry-day close leaves them alone.
    """

    key: str = ""
    min_phase: int = 1  # lowest account phase in which the strategy opens positions
    exits: frozenset[ExitReason] = frozenset()
    holds_to_expiry: bool = False

    def __init__(self, config: FrameworkConfig) -> None:
        self.config = config
        self.memory: dict[str, Any] = {}  # small JSON-safe facts persisted with the system state
        self.last_skip_reason = ""

    def attempted_today(self, ctx: DecisionContext) -> bool:
        """Whether today's once-a-day entry analysis already ran (see `mark_attempted`)."""
        return self.memory.get("attempted") == ctx.today_text

    def mark_attempted(self, ctx: DecisionContext) -> None:
        """Remember that today's once-a-day entry analysis ran (persisted with the memory)."""
        self.memory["attempted"] = ctx.today_text

    def reopen_entry(self, today: str, retries: int) -> int:
        """After an entry order timed out unfilled on `today` (ISO date): reopen today's entry
        analysis unless `retries` retries were used today; returns the retry's number (1, 2, ...)
        or 0 when none is left. The entry window itself still decides whether it can open."""
        used = self.memory.get("entry_retries", {})
        count = int(used.get("count", 0)) if used.get("day") == today else 0
        if count >= retries:
            return 0
        self.memory["entry_retries"] = {"day": today, "count": count + 1}
        self.forget_attempt(today)
        return count + 1

    def forget_attempt(self, today: str) -> None:
        """Undo `mark_attempted` for `today` (strategies with another once-a-day record override it)."""
        if self.memory.get("attempted") == today:
            del self.memory["attempted"]

    def skip(self, reason: str) -> Proposal | None:
        """Record why no entry is proposed now (the trading system journals it); returns no proposal,
        so a refusal reads `return self.skip("...")`."""
        self.last_skip_reason = reason
        return None

    @abstractmethod
    def propose_entry(self, ctx: DecisionContext, positions: list[Position]) -> Proposal | None:
        """An opening proposal if the schedule window and entry filters allow one now, else None.

        Called at most once a minute inside the entry window, only while the strategy has no
        working order. Journals nothing itself: it returns `self.skip(reason)` to say why not.
        """

    @abstractmethod
    def manage(self, ctx: DecisionContext, position: Position) -> list[OrderIntent]:
        """Closing or adjusting intents for one open position (targets, stops, time exits, rolls)."""

    def propose_adjustment(self, ctx: DecisionContext, position: Position) -> Proposal | None:
        """An opening intent that adds to `position` (position_id set): a ladder rung, a covered or
        weekly short call, the new leg of a roll. Called during management when manage() returned
        nothing. Sized and gated like an entry. None by default."""
        return None

    def may_open_on(self, day: date) -> bool:
        """Whether the entry window can open at all on session `day` (a cheap once-a-session filter:
        the trading system asks `is_entry_window` only of the strategies it lets through)."""
        return True

    def is_entry_window(self, ctx: DecisionContext) -> bool:
        """True inside the strategy's schedule window (used to drive ANALYZING and journaling)."""
        return False

    def next_entry_check(self, ctx: DecisionContext) -> datetime | None:
        """The first time from `ctx.now` on at which `is_entry_window` may hold if nothing changes in
        between (no order, fill, regime change or new session); None: not again this session. Before
        it the trading system need not ask (TradingSystem.next_wake). An answer may be early, never
        late. By default ctx.now: ask at every minute."""
        return ctx.now


def declared(strategy: Strategy, intents: list[OrderIntent]) -> list[OrderIntent]:
    """`intents` when every close among them gives one of the strategy's declared exits (or a
    SYSTEM_EXITS reason). Raises ValueError naming the undeclared reason (the strategy errs)."""
    for intent in intents:
        if intent.purpose == Purpose.CLOSE and intent.reason not in strategy.exits | SYSTEM_EXITS:
            raise ValueError(f"{strategy.key} closes for {str(intent.reason)!r}, not one of its declared exits "
                             f"{sorted(str(e) for e in strategy.exits)}")
    return intents


# --- Position valuation ------------------------------------------------------------------------


def position_liquidation_value(position: Position, market: MarketView, side: str = "mid") -> float | None:
    """USD received (+) or paid (-) to close every holding now; None when a quote is missing.

    side: "mid" for marks, "natural" for the price actually crossable (sell at bid, buy at ask).
    """
    total = 0.0
    for contract, quantity in position.contracts():
        quote = market.quote(contract)
        if quote is None or not quote.valid:
            return None
        if side == "mid":
            price = quote.mid
        else:
            price = quote.bid if quantity > 0 else quote.ask
        total += quantity * price * contract_multiplier(contract)
    return total


def position_pnl(position: Position, market: MarketView, side: str = "mid") -> float | None:
    """Open P&L in USD after fees so far (None when a quote is missing)."""
    value = position_liquidation_value(position, market, side)
    if value is None:
        return None
    return position.realized_cash + value - position.fees


# --- Intent builders ---------------------------------------------------------------------------


def net_prices(legs: tuple[Leg, ...], market: MarketView) -> tuple[float, float] | None:
    """(mid, natural) net price per unit of a combo; None when any quote is missing or invalid.

    Net prices are signed: positive is a debit, negative a credit.
    """
    mid = natural = 0.0
    for leg in legs:
        quote = market.quote(leg.contract)
        if quote is None or not quote.valid:
            return None
        mid += leg.ratio * quote.mid
        natural += leg.ratio * (quote.ask if leg.ratio > 0 else quote.bid)
    return mid, natural


def make_intent(ctx: DecisionContext, strategy: str, purpose: Purpose, legs: tuple[Leg, ...], quantity: int,
                reason: str, position_id: str | None = None, max_loss_per_unit: float = 0.0,
                margin_per_unit: float = 0.0, timeout_seconds: int | None = None,
                price_bound: float | None = None, leg_marks: tuple[float, ...] = ()) -> OrderIntent | None:
    """An intent priced at the mid (rounded to the tick) with the natural price recorded.

    `price_bound`: the worst net price the entry rule allows (signed like the limit: -0.25 for "a
    credit of at least 0.25"); it is rounded to the tick on the safe side, the limit starts no worse
    and the price ladder never passes it. `leg_marks`: each leg's price when proposed (OrderIntent).
    Returns None when a quote is missing or the mid rounds to exactly 0 (a zero limit is refused).
    """
    prices = net_prices(legs, ctx.market)
    if prices is None:
        return None
    mid, natural = prices
    tick = product_spec(legs[0].contract.root).tick_size
    limit = round_to_tick(mid, tick)
    if limit == 0.0:
        limit = round_to_tick(natural, tick)
    bound = None if price_bound is None else floor_to_tick(price_bound, tick)
    if bound is not None:
        limit = min(limit, bound)
    if limit == 0.0 or not math.isfinite(limit):
        return None
    timeout = timeout_seconds if timeout_seconds is not None else ctx.config.order.timeout_minutes * 60
    return OrderIntent(intent_id=ctx.new_intent_id(), strategy=strategy, purpose=purpose, legs=legs,
                       quantity=quantity, limit_price=limit, created=ctx.now, reason=reason,
                       position_id=position_id, max_loss_per_unit=max_loss_per_unit,
                       margin_per_unit=margin_per_unit, natural_price=round_to_tick(natural, tick),
                       timeout_seconds=timeout, price_bound=bound, leg_marks=leg_marks)


def closing_legs(position: Position, contracts: list[Contract] | None = None) -> tuple[tuple[Leg, ...], int]:
    """Legs (ratios with gcd 1) and unit count that close the given holdings (all by default)."""
    held = [(c, q) for c, q in position.contracts() if contracts is None or c in contracts]
    if not held:
        return (), 0
    units = reduce(math.gcd, (abs(q) for _, q in held))
    return tuple(Leg(c, -q // units) for c, q in held), units


def close_intent(ctx: DecisionContext, position: Position, reason: ExitReason,
                 contracts: list[Contract] | None = None, timeout_seconds: int | None = None) -> OrderIntent | None:
    """A CLOSE intent for a position (or some of its contracts), priced at the mid."""
    legs, units = closing_legs(position, contracts)
    if not legs:
        return None
    return make_intent(ctx, position.strategy, Purpose.CLOSE, legs, units, reason, position.position_id,
                       timeout_seconds=timeout_seconds)
