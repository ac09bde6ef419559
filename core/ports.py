"""The three ports through which the core sees the world (DESIGN.md section 1).

The LEAN adapter and the offline engine each implement them; the core depends only on these
Protocols, never on an engine.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from core.types import ChainSnapshot, Contract, DailyBars, OrderIntent, Quote


class MarketView(Protocol):
    """What the core may ask about the market. Missing data is None, never an exception."""

    def now(self) -> datetime:
        """Current time, timezone-aware US/Eastern."""
        ...

    def price(self, root: str) -> float | None:
        """Last price of an underlying root (spot, or the front futures price)."""
        ...

    def vix(self) -> tuple[float, datetime] | None:
        """Latest VIX value and the time it was observed."""
        ...

    def vix_previous_close(self) -> float | None:
        """VIX close of the previous session."""
        ...

    def chain(self, root: str, min_dte: int, max_dte: int, right: str | None = None) -> ChainSnapshot | None:
        """Option chain of `root` with expiries between min_dte and max_dte calendar days; only
        its calls or its puts when `right` is "call" or "put" (None: both)."""
        ...

    def quote(self, contract: Contract) -> Quote | None:
        """Current bid and ask of one contract."""
        ...

    def delta(self, contract: Contract) -> float | None:
        """Current delta of one option contract (None when it cannot be valued now)."""
        ...

    def daily_bars(self, root: str, count: int) -> DailyBars | None:
        """The last `count` completed daily bars of an underlying root."""
        ...

    def session_open_price(self, root: str) -> float | None:
        """Price of `root` at today's regular-session open."""
        ...


class Broker(Protocol):
    """Order routing and account state. Order events come back through the trading system's
    `on_order_event`."""

    def submit(self, intent: OrderIntent) -> str:
        """Send an approved intent as a (combo) limit order; returns the broker's order id."""
        ...

    def update_limit(self, order_id: str, limit_price: float) -> None:
        """Move the limit price of a working order."""
        ...

    def cancel(self, order_id: str) -> None:
        """Cancel a working order (a cancel event follows)."""
        ...

    def open_order_ids(self) -> list[str]:
        ...

    def holdings(self) -> dict[str, tuple[Contract, int]]:
        """Actual broker positions: contract key -> (contract, signed quantity)."""
        ...

    def net_liquidation(self) -> float:
        ...

    def margin_used(self) -> float:
        """Buying power currently in use (USD)."""
        ...


class Store(Protocol):
    """Save and load JSON documents by key (ObjectStore in LEAN, files offline), stored as their
    canonical text (core/document_text.py)."""

    def save(self, key: str, document: dict[str, Any]) -> None:
        ...

    def save_text(self, key: str, text: str) -> None:
        """Save a document given as its canonical text (a caller that keeps parts of it encoded)."""
        ...

    def load(self, key: str) -> dict[str, Any] | None:
        ...
