"""Management of open positions: every management interval and on every fill (SPEC: check
management on every fill), each strategy's open positions are valued and managed; the first order
a strategy sends ends its round."""
from __future__ import annotations

from datetime import datetime

from core.engine.desk import STRATEGY_FAULTS, Desk
from core.engine.order_routing import OrderRouter
from core.engine.session_close import expiry_day_exit
from core.position import Position
from core.strategy_lifecycle import StrategyState
from strategies.base import DecisionContext, Strategy, declared


class Management:
    """Runs the strategies' management of their open positions through the order router."""

    def __init__(self, desk: Desk, router: OrderRouter) -> None:
        self.desk = desk
        self.router = router

    def manage_all(self, now: datetime) -> None:
        """Manage the open positions of each strategy that has no working order and is not in ERROR
        or SUSPENDED. Who holds what and who has an order change only when an order goes out, so
        they are worked out once, and again after each order sent."""
        state = self.desk.state
        ctx = self.desk.context(now)  # the account snapshot is taken only when a decision needs it
        held, busy = self._held_and_busy()
        for key, strategy in state.strategies.items():
            if key not in held or key in busy or state.machines[key].state in (StrategyState.ERROR,
                                                                              StrategyState.SUSPENDED):
                continue
            for position in held[key]:
                try:
                    submitted = self.manage_position(strategy, position, now, ctx)
                except STRATEGY_FAULTS as error:
                    self.desk.error(key, now, f"managing {position.position_id} failed: {error!r}")
                    break
                if submitted:
                    ctx = self.desk.context(now)
                    held, busy = self._held_and_busy()
                    break

    def _held_and_busy(self) -> tuple[dict[str, list[Position]], set[str]]:
        """The open positions of each strategy (book order, as PositionBook.open_positions gives them)
        and the strategies with a working order."""
        state = self.desk.state
        held: dict[str, list[Position]] = {}
        for position in state.book.all_open():
            held.setdefault(position.strategy, []).append(position)
        return held, {order.intent.strategy for order in state.orders.values()}

    def manage_position(self, strategy: Strategy, position: Position, now: datetime,
                        ctx: DecisionContext) -> bool:
        """Run management for one position; True when an order was submitted."""
        self._check_valuation(position, now)
        intents = declared(strategy, expiry_day_exit(strategy, position, ctx) or strategy.manage(ctx, position))
        if intents:
            return self.router.route(intents[0], now, ctx.account)
        vix = self.desk.state.vix
        if vix.regime is not None and vix.usable(now):
            proposal = strategy.propose_adjustment(ctx, position)
            if proposal is not None:
                return self.router.route(proposal.intent, now, ctx.account, proposal)
        return False

    def manage_on_fill(self, position_id: str, now: datetime) -> None:
        """Management on a fill (SPEC: check management on every fill)."""
        state = self.desk.state
        position = state.book.get(position_id)
        if position is None or not position.is_open or state.has_working_order(position.strategy):
            return
        self.manage_position(state.strategies[position.strategy], position, now, self.desk.context(now))

    def _check_valuation(self, position: Position, now: datetime) -> None:
        """Journal once (per occurrence and session) that a position cannot be valued because a
        holding has no valid quote: its management waits for data."""
        skips = self.desk.state.skips_journaled
        key = f"value:{position.position_id}"
        missing = next((c.key for c, _ in position.contracts() if self.desk.valid_quote(c) is None), None)
        if missing is None:
            skips.pop(key, None)
        elif key not in skips:
            skips[key] = missing
            self.desk.journal.record(now, "data_problem", f"no valid quote for {missing}: position "
                                     f"{position.position_id} cannot be valued; its management waits for data",
                                     strategy=position.strategy, position_id=position.position_id, contract=missing)
