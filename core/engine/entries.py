"""Entries: every minute, each strategy that may open today, is idle or managing, has no working
order and is inside its entry window is asked for a proposal, which goes to the order router.
Why a strategy makes no entry is journaled once per reason and session."""
from __future__ import annotations

from datetime import date, datetime

from core.account import AccountSnapshot
from core.engine.desk import STRATEGY_FAULTS, Desk
from core.engine.order_routing import OrderRouter
from core.strategy_lifecycle import StrategyEvent, StrategyState
from strategies.base import DecisionContext, Strategy

ENTRY_STATES = frozenset((StrategyState.IDLE, StrategyState.MANAGING))  # states that look for entries


class Entries:
    """Asks the strategies for entries and routes their proposals."""

    def __init__(self, desk: Desk, router: OrderRouter) -> None:
        self.desk = desk
        self.router = router
        self._openers: tuple[date | None, list[tuple[str, Strategy]]] = (None, [])  # may_open_on, per day

    def seek(self, now: datetime) -> None:
        state = self.desk.state
        allowed, reason = state.breakers.new_entries_allowed()
        if not allowed:
            if state.skips_journaled.get("*") != reason:
                state.skips_journaled["*"] = reason
                self.desk.journal.record(now, "info", f"no new positions today: {reason}", reason=reason)
            return
        account: AccountSnapshot | None = None
        bare: DecisionContext | None = None  # made for the first strategy that gets as far as its window
        # strategies with a working order; an order sent below belongs to the strategy being visited
        busy = {order.intent.strategy for order in state.orders.values()} if state.orders else set()
        for key, strategy in self._may_open(now):
            if state.machines[key].state not in ENTRY_STATES:
                continue
            if key in busy:
                continue
            bare = bare or self.desk.context(now)
            if not strategy.is_entry_window(bare):
                continue
            account = account or self.desk.account_snapshot(now)
            strategy.last_skip_reason = ""
            state.apply(key, StrategyEvent.WINDOW_OPEN, now, "entry window")
            try:
                proposal = strategy.propose_entry(self.desk.context(now, account), state.book.open_positions(key))
            except STRATEGY_FAULTS as error:
                self.desk.error(key, now, f"entry analysis failed: {error!r}")
                continue
            if proposal is None:
                self._skipped(key, now, strategy.last_skip_reason)
                continue
            state.apply(key, StrategyEvent.CONDITIONS_MET, now, proposal.intent.reason)
            if self.router.route(proposal.intent, now, account, proposal):
                account = None

    def next_check(self, at: datetime) -> datetime | None:
        """The first time from `at` on at which `seek` may do anything if nothing changes in between
        (no order, fill, regime change, management round or new session); None: not again today. While
        no order works: the journal line of a breaker's refusal, else the earliest entry check of the
        strategies that may open today and are idle or managing (Strategy.next_entry_check)."""
        state = self.desk.state
        allowed, reason = state.breakers.new_entries_allowed()
        if not allowed:
            return at if state.skips_journaled.get("*") != reason else None
        day, openers = self._openers
        if day != at.date():
            return at  # today's openers are worked out (and journaled) by the first seek
        ctx = self.desk.context(at)
        checks = [check for key, strategy in openers if state.machines[key].state in ENTRY_STATES
                  and (check := strategy.next_entry_check(ctx)) is not None]
        return min(checks, default=None)

    def _may_open(self, now: datetime) -> list[tuple[str, Strategy]]:
        """The strategies whose entry window can open today (Strategy.may_open_on) in the account's
        phase (it changes only at a close), worked out once a session; those the phase keeps out
        are journaled once a phase."""
        day = now.date()
        if self._openers[0] != day:
            phase = self.desk.state.phases.phase
            openers = []
            for key, strategy in self.desk.state.strategies.items():
                if not strategy.may_open_on(day):
                    continue
                if strategy.min_phase > phase:
                    self.desk.journal.record_once(now, "info", f"no entry: account phase {phase}: {key} "
                                                  f"opens positions from phase {strategy.min_phase}", key)
                else:
                    openers.append((key, strategy))
            self._openers = (day, openers)
        return self._openers[1]

    def _skipped(self, key: str, now: datetime, reason: str) -> None:
        """The strategy found no entry: its state machine learns why, and the journal once."""
        self.desk.state.apply(key, StrategyEvent.CONDITIONS_FAILED, now, reason or "conditions not met")
        skips = self.desk.state.skips_journaled
        if reason and skips.get(key) != reason:
            skips[key] = reason
            self.desk.journal.record(now, "info", f"no entry: {reason}", strategy=key)
