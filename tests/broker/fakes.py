"""Small builders for the simulated-broker tests: a scripted market, event recorders, intents."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from core.types import AssignmentEvent, Contract, ContractKind, Leg, OrderEvent, OrderIntent, Purpose, Quote
from helpers.exchange_calendar import EASTERN
from offline.broker.fill_rules import BrokerSettings
from offline.broker.simulated_broker import SimulatedBroker

EXPIRY = date(2024, 6, 21)
T0 = datetime(2024, 6, 3, 10, 0, tzinfo=EASTERN)
MINUTE = timedelta(minutes=1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=EASTERN)


def same_state(a: SimulatedBroker, b: SimulatedBroker) -> bool:
    """Equal saved states (compared as JSON text: intents carry NaN fields, and NaN != NaN)."""
    return json.dumps(a.to_dict(), sort_keys=True) == json.dumps(b.to_dict(), sort_keys=True)


def option(root: str, strike: float, right: str, expiry: date = EXPIRY) -> Contract:
    return Contract(root, ContractKind.OPTION, expiry, strike, right)


@dataclass
class FakeMarket:
    """Quotes by contract key and underlying prices by root, changed by the test as it goes."""

    quotes: dict[str, Quote] = field(default_factory=dict)
    prices: dict[str, float] = field(default_factory=dict)

    def set(self, contract: Contract, bid: float, ask: float) -> None:
        self.quotes[contract.key] = Quote(bid, ask)

    def quote(self, contract: Contract, now: datetime) -> Quote | None:
        return self.quotes.get(contract.key)

    def underlying(self, root: str, now: datetime) -> float | None:
        return self.prices.get(root)


@dataclass
class Harness:
    market: FakeMarket
    broker: SimulatedBroker
    events: list[OrderEvent]
    assignments: list[AssignmentEvent]


def harness(cash: float = 30_000.0, settings: BrokerSettings | None = None,
            market: FakeMarket | None = None) -> Harness:
    market = market or FakeMarket()
    events: list[OrderEvent] = []
    assignments: list[AssignmentEvent] = []
    broker = SimulatedBroker(cash, market.quote, market.underlying, events.append, assignments.append, settings)
    return Harness(market, broker, events, assignments)


def intent(legs: list[tuple[Contract, int]], limit: float, quantity: int = 1, created: datetime = T0,
           purpose: Purpose = Purpose.OPEN, intent_id: str = "I1") -> OrderIntent:
    return OrderIntent(intent_id, "test", purpose, tuple(Leg(c, r) for c, r in legs), quantity, limit, created,
                       "test")


# An SPY iron condor whose modelled fill point is exactly -1.20 at fill_fraction 0.5:
# mid = -2.025 + 1.225 - 1.025 + 0.575 = -1.25; natural = -2.00 + 1.25 - 1.00 + 0.60 = -1.15.
SHORT_PUT = option("SPY", 480, "put")
LONG_PUT = option("SPY", 475, "put")
SHORT_CALL = option("SPY", 520, "call")
LONG_CALL = option("SPY", 525, "call")
CONDOR = [(SHORT_PUT, -1), (LONG_PUT, 1), (SHORT_CALL, -1), (LONG_CALL, 1)]


def quote_condor(market: FakeMarket) -> None:
    market.prices["SPY"] = 500.0
    market.set(SHORT_PUT, 2.00, 2.05)
    market.set(LONG_PUT, 1.20, 1.25)
    market.set(SHORT_CALL, 1.00, 1.05)
    market.set(LONG_CALL, 0.55, 0.60)
