"""Domain types of the trading core: contracts, legs, order intents, orders, fills, chains (positions:
core/position.py).

Plain values only; no LEAN, no files, no wall clock. Money in USD floats, option prices in price
units (USD per share or per index/futures point), times timezone-aware US/Eastern.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import Enum
from functools import cached_property
from typing import Any

import numpy as np

from config.constants import product_spec

CALL = "call"
PUT = "put"


def normalize_right(right: str) -> str:
    """Return "call" or "put" for any of call/put/c/p (any case).

    Raises:
        ValueError: `right` is none of those.
    """
    text = str(right).strip().lower()
    if text in ("call", "c"):
        return CALL
    if text in ("put", "p"):
        return PUT
    raise ValueError(f"right must be 'call' or 'put' (or 'c'/'p'), got {right!r}")


def contract_multiplier(contract: Contract) -> float:
    """USD per 1.00 of price for one contract: the option or futures multiplier, 1 for shares."""
    if contract.kind == ContractKind.EQUITY:
        return 1.0
    spec = product_spec(contract.root)
    return spec.future_multiplier if contract.kind == ContractKind.FUTURE else spec.option_multiplier


class ContractKind(str, Enum):
    OPTION = "option"
    FUTURE = "future"
    EQUITY = "equity"


@dataclass(frozen=True, order=True)
class Contract:
    """One tradable instrument identified by its underlying root (never by symbol text)."""

    root: str
    kind: ContractKind = ContractKind.OPTION
    expiry: date | None = None
    strike: float | None = None
    right: str | None = None

    def __post_init__(self) -> None:
        if not self.root:
            raise ValueError("contract root must not be empty")
        if self.kind == ContractKind.OPTION:
            if self.expiry is None or self.strike is None or self.right is None:
                raise ValueError(f"option contract on {self.root} needs expiry, strike and right")
            if not (math.isfinite(self.strike) and self.strike > 0):
                raise ValueError(f"option strike must be finite and positive, got {self.strike!r}")
            object.__setattr__(self, "right", normalize_right(self.right))
        elif self.kind == ContractKind.FUTURE and self.expiry is None:
            raise ValueError(f"future contract on {self.root} needs an expiry")

    @cached_property  # asked for every quote and holding, every minute
    def key(self) -> str:
        """Stable text key, e.g. "SPY 2024-08-16 P 500" (for dictionaries and persistence)."""
        if self.kind == ContractKind.OPTION:
            assert self.right is not None and self.strike is not None
            return f"{self.root} {self.expiry} {self.right[0].upper()} {self.strike:g}"
        if self.kind == ContractKind.FUTURE:
            return f"{self.root} {self.expiry} FUT"
        return self.root

    def to_dict(self) -> dict[str, Any]:
        return {"root": self.root, "kind": self.kind.value,
                "expiry": self.expiry.isoformat() if self.expiry else None,
                "strike": self.strike, "right": self.right}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Contract:
        expiry = data.get("expiry")
        return Contract(root=data["root"], kind=ContractKind(data.get("kind", "option")),
                        expiry=date.fromisoformat(expiry) if expiry else None,
                        strike=data.get("strike"), right=data.get("right"))


@dataclass(frozen=True)
class Leg:
    """A contract and its signed quantity per structure unit (+1 long, -2 two short)."""

    contract: Contract
    ratio: int

    def __post_init__(self) -> None:
        if not isinstance(self.ratio, int) or self.ratio == 0:
            raise ValueError(f"leg ratio must be a non-zero integer, got {self.ratio!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"contract": self.contract.to_dict(), "ratio": self.ratio}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Leg:
        return Leg(Contract.from_dict(data["contract"]), int(data["ratio"]))


class Purpose(str, Enum):
    """Why an order exists. CLOSE orders reduce risk and are never blocked by limits."""

    OPEN = "open"
    CLOSE = "close"


@dataclass(frozen=True)
class OrderIntent:
    """A strategy's proposal, before sizing and the risk gate.

    `limit_price` is the net price of ONE unit in price units: positive for a debit, negative for a
    credit. `max_loss_per_unit` is the USD loss at the strategy's stop (or the structure's maximum
    loss if smaller) for one unit; `margin_per_unit` the estimated buying power of one unit.
    `price_bound` is the worst net price an entry rule allows (a minimum credit, a maximum debit, a
    maximum implied rate as a price), signed like the limit: the price ladder never steps past it.
    `leg_marks`: the price of one contract of each leg (the legs' order, chain mids) when the intent
    was proposed, recorded by the position for the rules that judge a leg by its own entry price;
    empty when the strategy gives none.
    """

    intent_id: str
    strategy: str
    purpose: Purpose
    legs: tuple[Leg, ...]
    quantity: int
    limit_price: float
    created: datetime
    reason: str
    position_id: str | None = None
    max_loss_per_unit: float = float("nan")
    margin_per_unit: float = float("nan")
    natural_price: float | None = None
    timeout_seconds: int = 300
    price_bound: float | None = None
    leg_marks: tuple[float, ...] = ()

    @property
    def roots(self) -> frozenset[str]:
        return frozenset(leg.contract.root for leg in self.legs)

    @property
    def is_closing(self) -> bool:
        return self.purpose == Purpose.CLOSE

    def with_quantity(self, quantity: int) -> OrderIntent:
        return replace(self, quantity=quantity)

    def to_dict(self) -> dict[str, Any]:
        return {"intent_id": self.intent_id, "strategy": self.strategy, "purpose": self.purpose.value,
                "legs": [leg.to_dict() for leg in self.legs], "quantity": self.quantity,
                "limit_price": self.limit_price, "created": self.created.isoformat(),
                "reason": self.reason, "position_id": self.position_id,
                "max_loss_per_unit": _finite_or_none(self.max_loss_per_unit),
                "margin_per_unit": _finite_or_none(self.margin_per_unit),
                "natural_price": self.natural_price, "timeout_seconds": self.timeout_seconds,
                "price_bound": self.price_bound, "leg_marks": list(self.leg_marks)}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> OrderIntent:
        return OrderIntent(
            intent_id=data["intent_id"], strategy=data["strategy"], purpose=Purpose(data["purpose"]),
            legs=tuple(Leg.from_dict(leg) for leg in data["legs"]), quantity=int(data["quantity"]),
            limit_price=float(data["limit_price"]), created=datetime.fromisoformat(data["created"]),
            reason=data["reason"], position_id=data.get("position_id"),
            max_loss_per_unit=_float_or_nan(data["max_loss_per_unit"]),
            margin_per_unit=_float_or_nan(data["margin_per_unit"]),
            natural_price=data.get("natural_price"), timeout_seconds=int(data.get("timeout_seconds", 300)),
            price_bound=data.get("price_bound"), leg_marks=tuple(float(m) for m in data.get("leg_marks", ())))


def _finite_or_none(value: float) -> float | None:
    """JSON has no NaN: unset figures are stored as null."""
    return value if math.isfinite(value) else None


def _float_or_nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


class Verdict(str, Enum):
    APPROVE = "approve"
    RESIZE = "resize"
    DENY = "deny"


@dataclass(frozen=True)
class RiskDecision:
    """The risk gate's answer: approve, resize (to `quantity`) or deny, with the reason code."""

    verdict: Verdict
    quantity: int
    reason: str
    detail: str = ""

    @property
    def approved(self) -> bool:
        return self.verdict != Verdict.DENY and self.quantity > 0


class OrderStatus(str, Enum):
    SUBMITTED = "submitted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"

    @property
    def is_final(self) -> bool:
        return self in (OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED)


@dataclass(frozen=True)
class OrderEvent:
    """A broker report about an order. `fill_quantity` units filled in THIS event at `fill_price`
    (net per unit, same sign convention as the limit), with `fees` in USD for this event.
    `leg_prices`: the price of one contract of each leg (the intent's leg order, >= 0) that make up
    the net price, when the broker reports them; empty otherwise."""

    order_id: str
    intent_id: str
    status: OrderStatus
    time: datetime
    fill_quantity: int = 0
    fill_price: float = 0.0
    fees: float = 0.0
    message: str = ""
    leg_prices: tuple[float, ...] = ()


@dataclass(frozen=True)
class ChainSnapshot:
    """An option chain for one underlying root at one time, as parallel numpy arrays.

    expiries: datetime64[D]; strikes, bid, ask, iv (fraction), delta (signed, puts negative): float64;
    is_call: bool. Rows with no usable quote have NaN bid/ask. `underlying_price` is the spot (or
    futures price for futures options).
    """

    root: str
    time: datetime
    underlying_price: float
    expiries: np.ndarray
    strikes: np.ndarray
    is_call: np.ndarray
    bid: np.ndarray
    ask: np.ndarray
    iv: np.ndarray
    delta: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.strikes)
        for name in ("expiries", "is_call", "bid", "ask", "iv", "delta"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"chain {self.root}: array {name} has {len(getattr(self, name))} rows, "
                                 f"strikes has {n}")

    def __len__(self) -> int:
        return len(self.strikes)

    @property
    def mid(self) -> np.ndarray:
        return (self.bid + self.ask) / 2.0

    def listed_expiries(self) -> list[date]:
        return [d.astype(object) for d in np.unique(self.expiries)]

    def subset(self, mask: np.ndarray) -> ChainSnapshot:
        return ChainSnapshot(self.root, self.time, self.underlying_price, self.expiries[mask], self.strikes[mask],
                             self.is_call[mask], self.bid[mask], self.ask[mask], self.iv[mask], self.delta[mask])

    def side(self, expiry: date, right: str) -> ChainSnapshot:
        """Rows of one expiry and one right, sorted by strike."""
        want_call = normalize_right(right) == CALL
        mask = (self.expiries == np.datetime64(expiry, "D")) & (self.is_call == want_call)
        sub = self.subset(mask)
        return sub.subset(np.argsort(sub.strikes, kind="stable"))

    def contract(self, index: int) -> Contract:
        return Contract(self.root, ContractKind.OPTION, self.expiries[index].astype(object),
                        float(self.strikes[index]), CALL if self.is_call[index] else PUT)

    def delta_of(self, contract: Contract) -> float | None:
        """The delta of `contract`'s row (None when the chain has no such row or no finite delta)."""
        if contract.expiry is None or contract.strike is None:
            return None
        mask = ((self.expiries == np.datetime64(contract.expiry, "D")) & (np.abs(self.strikes - contract.strike) < 1e-9)
                & (self.is_call == (contract.right == CALL)))
        rows = np.flatnonzero(mask)
        return float(self.delta[rows[0]]) if rows.size and np.isfinite(self.delta[rows[0]]) else None


@dataclass(frozen=True)
class Quote:
    """Bid and ask of one contract (price units)."""

    bid: float
    ask: float

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2.0

    @property
    def valid(self) -> bool:
        return (math.isfinite(self.bid) and math.isfinite(self.ask) and self.bid >= 0 and self.ask > 0
                and self.ask >= self.bid)


@dataclass(frozen=True)
class DailyBars:
    """Recent daily bars of one underlying, oldest first (numpy arrays)."""

    dates: np.ndarray  # datetime64[D]
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray


@dataclass(frozen=True)
class AssignmentEvent:
    """A holding removed by expiry, exercise or assignment: `quantity` signed contracts that left
    (-1 = one short), `underlying_quantity` shares received (+) or delivered (-), `cash` USD booked
    (+ received), `underlying_price` the settlement price used, `reason` e.g. "expiry_exercise",
    "early_assignment", "cash_settlement", "expired_worthless"."""

    time: datetime
    contract: Contract
    quantity: int
    underlying_quantity: int
    cash: float
    underlying_price: float
    reason: str
