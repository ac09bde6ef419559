"""The cash sweep on LEAN: idle cash held in a T-bill ETF (cash_sweep_symbol, BIL by default).

At each session start `rebalance` holds whole shares of the ETF worth the sweepable cash of
risk/cash_sweep.py (the ETF counts as cash there, so the amount does not depend on what is already
held); when an opening order needs room, `make_room` sells shares first. Orders are marketable
limit orders (the adapter sends no market orders): buys at the last price + 0.2%, sells at
- 0.2%, rounded to the cent, tagged "cash sweep"; the adapter's order tracking never sees them, so
the core neither books nor reconciles them. A sale is sent before the entry's combo order; live,
LEAN's buying-power check of that combo still counts the ETF at its margin (50%), so the room is
there even before the sale fills.

Margin treatment: LEAN counts the ETF in a margin account at holdings value / leverage
(SecurityHolding.leverage: 2 under Reg-T, so 50%) in `total_margin_used`. The ETF is the account's
cash, sold before an entry uses the room, so the buying power the risk gate sees excludes that
margin (`etf_margin`) and the core's holdings exclude the ETF (`is_sweep`).
"""
from __future__ import annotations

import math
from collections.abc import Callable

from AlgorithmImports import QCAlgorithm, Symbol

from risk.cash_sweep import sweepable_cash

TAG = "cash sweep"
LIMIT_OFFSET = 0.002  # marketable limit: 0.2% through the last price
REBALANCE_BAND = 0.01  # session-start trades smaller than 1% of net liquidation are skipped (no churn)


class LeanCashSweep:
    """Holds the sweepable cash in `symbol`; `report` receives a message for every order sent."""

    def __init__(self, algorithm: QCAlgorithm, symbol: Symbol, reserve_fraction: float,
                 report: Callable[[str], None]) -> None:
        self._algorithm = algorithm
        self.symbol = symbol
        self._reserve = reserve_fraction
        self._report = report

    def is_sweep(self, symbol: Symbol) -> bool:
        return symbol == self.symbol

    def _shares(self) -> int:
        return int(self._algorithm.portfolio[self.symbol].quantity)

    def _price(self) -> float:
        return float(self._algorithm.securities[self.symbol].price)

    def etf_value(self) -> float:
        """USD value of the ETF held."""
        return float(self._algorithm.portfolio[self.symbol].holdings_value)

    def etf_margin(self) -> float:
        """The margin LEAN counts for the ETF held (holdings value / leverage), USD."""
        holding = self._algorithm.portfolio[self.symbol]
        return abs(float(holding.holdings_value)) / max(float(holding.leverage), 1.0)

    def target_shares(self) -> int:
        """Whole shares worth the sweepable cash, counting the ETF held as cash; 0 without a price."""
        price = self._price()
        if not (math.isfinite(price) and price > 0):
            return 0
        portfolio = self._algorithm.portfolio
        idle = sweepable_cash(float(portfolio.cash) + self.etf_value(), float(portfolio.total_portfolio_value),
                              float(portfolio.total_margin_used) - self.etf_margin(), self._reserve)
        return int(idle // price)

    def rebalance(self) -> int:
        """Buy or sell to hold `target_shares` unless the trade is worth less than REBALANCE_BAND of
        net liquidation; returns the shares ordered (+ buy, - sell)."""
        change = self.target_shares() - self._shares()
        band = REBALANCE_BAND * float(self._algorithm.portfolio.total_portfolio_value)
        if abs(change) * self._price() < band:
            return 0
        if change != 0:
            self._send(change, f"session start: hold {self.target_shares()} shares")
        return change

    def make_room(self, need: float) -> int:
        """Sell shares, before an entry that needs `need` USD of buying power, for what the cash
        outside the ETF (after the margin in use and the reserve) does not cover; at most all held.
        Returns the shares sold."""
        price, held = self._price(), self._shares()
        if not (math.isfinite(need) and need > 0 and math.isfinite(price) and price > 0 and held > 0):
            return 0
        portfolio = self._algorithm.portfolio
        free = (float(portfolio.cash) - (float(portfolio.total_margin_used) - self.etf_margin())
                - self._reserve * float(portfolio.total_portfolio_value))
        shortfall = need - max(free, 0.0)
        if shortfall <= 0:
            return 0
        shares = min(held, math.ceil(shortfall / price))
        self._send(-shares, f"room of ${shortfall:,.0f} for an entry")
        return shares

    def _send(self, quantity: int, why: str) -> None:
        limit = round(self._price() * (1.0 + LIMIT_OFFSET if quantity > 0 else 1.0 - LIMIT_OFFSET), 2)
        self._algorithm.limit_order(self.symbol, quantity, limit, tag=TAG)
        self._report(f"{TAG}: {'buy' if quantity > 0 else 'sell'} {abs(quantity)} {self.symbol.value} ({why})")
