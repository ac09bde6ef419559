"""One open structure (an iron condor, a 1-1-2, a ladder with its rungs...) and its typed terms.

`Position` holds what is held and the cash booked; `PositionTerms` every other figure the position
carries, each a typed field: what the book records about its orders (units, margin, prices, the
per-contract ledger) and what a strategy's rules need later (the price a leg was sold at, a roll in
progress, rungs left to expire). Both are saved with the position (`to_dict`); `Position.from_dict`
also reads documents saved by the previous version, whose terms were one untyped "notes" dict.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from core.exit_reasons import ExitReason
from core.types import PUT, Contract, Leg


@dataclass
class LedgerEntry:
    """One contract's trades within a position (core/leg_ledger.py): `first` +1 when bought first,
    -1 when sold first; `order` its place among the position's contracts; contracts bought and USD
    paid, contracts sold and USD received; `priced` False once a trade had no price."""

    contract: Contract
    first: int
    order: int
    bought: int = 0
    paid: float = 0.0
    sold: int = 0
    received: float = 0.0
    priced: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"contract": self.contract.to_dict(), "first": self.first, "order": self.order,
                "bought": self.bought, "paid": self.paid, "sold": self.sold, "received": self.received,
                "priced": self.priced}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> LedgerEntry:
        return LedgerEntry(Contract.from_dict(data["contract"]), int(data["first"]), int(data["order"]),
                           int(data["bought"]), float(data["paid"]), int(data["sold"]), float(data["received"]),
                           bool(data["priced"]))


@dataclass
class RollPlan:
    """A roll in progress: the short `close` (contract key) is bought back, then `open` is sold,
    `units` contracts; `proposed_on` the ISO day the new short was last proposed ("" not yet)."""

    close: str
    open: Contract
    units: int
    proposed_on: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"close": self.close, "open": self.open.to_dict(), "units": self.units,
                "proposed_on": self.proposed_on}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> RollPlan:
        return RollPlan(data["close"], Contract.from_dict(data["open"]), int(data["units"]),
                        data.get("proposed_on", ""))


@dataclass(frozen=True)
class PendingClose:
    """A close that expired unfilled at the session close: re-sent at the next open for `reason`,
    for the contracts (keys) still held."""

    reason: ExitReason
    contracts: tuple[str, ...]


@dataclass
class PositionTerms:
    """The figures a position carries besides holdings and cash.

    Recorded by the position book: `units` (structure units of the entry order; once filled, the
    units filled), `filled_units`, `margin` (USD the entry order's units need), `credit_unit` (the
    Kelly unit, USD for all units), `entry_reason`, `opening_legs` (the entry order's legs per unit),
    `entry_price` and `exit_price` (net price per unit of the opening and the last closing fill),
    `ledger` (per contract key), `entry_marks` (contract key -> its price, a chain mid, when the
    order that opened it was proposed: the LT112's naked puts, a short LEAP put rung, a diagonal's
    short), `resend_close`.
    Recorded by strategies: `sold_extrinsic` (an IPMCC short call's extrinsic value at sale, by
    contract key), `adjusted_on` (ISO day of the last adjustment proposal), `rolled` and `roll` (the
    futures strangle's one roll), `left_to_expire` (LEAP ladder rungs with no bid at the roll DTE).
    """

    units: int = 0
    filled_units: int = 0
    margin: float = 0.0
    credit_unit: float = 0.0
    entry_reason: str = ""
    opening_legs: tuple[Leg, ...] = ()
    entry_price: float = 0.0
    exit_price: float = 0.0
    ledger: dict[str, LedgerEntry] = field(default_factory=dict)
    entry_marks: dict[str, float] = field(default_factory=dict)
    resend_close: PendingClose | None = None
    sold_extrinsic: dict[str, float] = field(default_factory=dict)
    adjusted_on: str = ""
    rolled: bool = False
    roll: RollPlan | None = None
    left_to_expire: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        resend = self.resend_close
        return {"units": self.units, "filled_units": self.filled_units, "margin": self.margin,
                "credit_unit": self.credit_unit, "entry_reason": self.entry_reason,
                "opening_legs": [leg.to_dict() for leg in self.opening_legs], "entry_price": self.entry_price,
                "exit_price": self.exit_price, "ledger": {k: e.to_dict() for k, e in self.ledger.items()},
                "entry_marks": dict(self.entry_marks),
                "resend_close": None if resend is None else {"reason": resend.reason.value,
                                                             "contracts": list(resend.contracts)},
                "sold_extrinsic": dict(self.sold_extrinsic), "adjusted_on": self.adjusted_on,
                "rolled": self.rolled, "roll": None if self.roll is None else self.roll.to_dict(),
                "left_to_expire": list(self.left_to_expire)}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> PositionTerms:
        resend, roll = data.get("resend_close"), data.get("roll")
        return PositionTerms(
            units=int(data["units"]), filled_units=int(data["filled_units"]), margin=float(data["margin"]),
            credit_unit=float(data["credit_unit"]), entry_reason=data["entry_reason"],
            opening_legs=tuple(Leg.from_dict(leg) for leg in data["opening_legs"]),
            entry_price=float(data["entry_price"]), exit_price=float(data["exit_price"]),
            ledger={k: LedgerEntry.from_dict(e) for k, e in data["ledger"].items()},
            entry_marks={k: float(v) for k, v in data["entry_marks"].items()},
            resend_close=None if resend is None else PendingClose(ExitReason(resend["reason"]),
                                                                  tuple(resend["contracts"])),
            sold_extrinsic={k: float(v) for k, v in data["sold_extrinsic"].items()},
            adjusted_on=data["adjusted_on"], rolled=bool(data["rolled"]),
            roll=None if roll is None else RollPlan.from_dict(roll), left_to_expire=tuple(data["left_to_expire"]))


@dataclass
class Position:
    """One open structure. `holdings` maps contract key to (contract, signed contracts held). Money
    fields in USD: `entry_cash` is the cash received at entry (positive for a credit, negative for
    a debit)."""

    position_id: str
    strategy: str
    opened: datetime
    holdings: dict[str, tuple[Contract, int]]
    entry_cash: float
    max_loss: float
    regime: str
    phase: int
    fees: float = 0.0
    realized_cash: float = 0.0  # cash from partial closes and adjustments since entry
    state: str = "open"
    closed: datetime | None = None
    exit_reason: ExitReason | None = None
    terms: PositionTerms = field(default_factory=PositionTerms)
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.state != "closed"

    def contracts(self) -> list[tuple[Contract, int]]:
        return [value for value in self.holdings.values() if value[1] != 0]

    def expiries(self) -> set[date]:
        return {c.expiry for c, _ in self.contracts() if c.expiry is not None}

    def roots(self) -> set[str]:
        return {c.root for c, _ in self.contracts()}

    def apply_fill(self, legs: tuple[Leg, ...], units: int, cash: float, fees: float,
                   marks: tuple[float, ...] = ()) -> None:
        """Add `units` of `legs` (negative units close) and book `cash` (USD, + received) and fees.
        `marks`: an opening order's leg_marks, kept in terms.entry_marks for contracts not marked yet."""
        if marks and len(marks) != len(legs):
            raise ValueError(f"{len(marks)} leg marks for {len(legs)} legs")
        for leg, mark in zip(legs, marks):
            self.terms.entry_marks.setdefault(leg.contract.key, mark)
        for leg in legs:
            contract, held = self.holdings.get(leg.contract.key, (leg.contract, 0))
            self.holdings[leg.contract.key] = (contract, held + leg.ratio * units)
        self.holdings = {k: v for k, v in self.holdings.items() if v[1] != 0}
        self.realized_cash += cash
        self.fees += fees

    def to_dict(self) -> dict[str, Any]:
        return {"position_id": self.position_id, "strategy": self.strategy, "opened": self.opened.isoformat(),
                "holdings": [{"contract": c.to_dict(), "quantity": q} for c, q in self.holdings.values()],
                "entry_cash": self.entry_cash, "max_loss": self.max_loss, "regime": self.regime,
                "phase": self.phase, "fees": self.fees, "realized_cash": self.realized_cash,
                "state": self.state, "closed": self.closed.isoformat() if self.closed else None,
                "exit_reason": self.exit_reason.value if self.exit_reason else "", "terms": self.terms.to_dict(),
                "history": self.history}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Position:
        """A position saved by `to_dict`, or by the previous version (terms in a "notes" dict)."""
        holdings = {}
        for item in data["holdings"]:
            contract = Contract.from_dict(item["contract"])
            holdings[contract.key] = (contract, int(item["quantity"]))
        closed = data.get("closed")
        reason = data.get("exit_reason", "")
        terms = (PositionTerms.from_dict(data["terms"]) if "terms" in data
                 else terms_from_notes(data.get("notes", {}), list(holdings.values())))
        return Position(
            position_id=data["position_id"], strategy=data["strategy"],
            opened=datetime.fromisoformat(data["opened"]), holdings=holdings,
            entry_cash=float(data["entry_cash"]), max_loss=float(data["max_loss"]), regime=data["regime"],
            phase=int(data["phase"]), fees=float(data["fees"]), realized_cash=float(data["realized_cash"]),
            state=data["state"], closed=datetime.fromisoformat(closed) if closed else None,
            exit_reason=ExitReason(reason) if reason else None, terms=terms, history=list(data.get("history", [])))


def terms_from_notes(notes: dict[str, Any], holdings: list[tuple[Contract, int]]) -> PositionTerms:
    """The terms of a position saved by the previous version, from its "notes" dict.

    Two of its figures were bare prices: "naked_credit" belongs to the LT112's naked puts (its
    lowest-strike short put) and "short_entry_mid" to a diagonal's one short; each goes to
    `entry_marks` under that contract's key (dropped when the contract is no longer held, as the
    rule that read it no longer applies). Raises ValueError naming any key it does not know.
    """
    known = {"units", "filled_units", "margin", "credit_unit", "entry_reason", "legs", "entry_price", "exit_price",
             "ledger", "naked_credit", "rung_credit", "short_entry_mid", "close_resend", "short_call_extrinsic",
             "short_call_proposed_on", "rolled", "roll_pending", "left_to_expire"}
    unknown = sorted(set(notes) - known)
    if unknown:
        raise ValueError(f"position notes with unknown keys {unknown}: not a document of the previous version")
    marks = {k: float(v) for k, v in notes.get("rung_credit", {}).items()}
    shorts = [c for c, q in holdings if q < 0 and c.strike is not None]
    short_puts = [c for c in shorts if c.right == PUT]
    if "naked_credit" in notes and short_puts:
        marks[min(short_puts, key=lambda c: float(c.strike or 0.0)).key] = float(notes["naked_credit"])
    if "short_entry_mid" in notes and len(shorts) == 1:
        marks[shorts[0].key] = float(notes["short_entry_mid"])
    resend, roll = notes.get("close_resend"), notes.get("roll_pending")
    return PositionTerms(
        units=int(notes.get("units", 0)), filled_units=int(notes.get("filled_units", 0)),
        margin=float(notes.get("margin", 0.0)), credit_unit=float(notes.get("credit_unit", 0.0)),
        entry_reason=notes.get("entry_reason", ""),
        opening_legs=tuple(Leg.from_dict(leg) for leg in notes.get("legs", [])),
        entry_price=float(notes.get("entry_price", 0.0)), exit_price=float(notes.get("exit_price", 0.0)),
        ledger={k: LedgerEntry.from_dict(e) for k, e in notes.get("ledger", {}).items()}, entry_marks=marks,
        resend_close=None if resend is None else PendingClose(ExitReason(resend["reason"]),
                                                              tuple(resend["contracts"])),
        sold_extrinsic={k: float(v) for k, v in notes.get("short_call_extrinsic", {}).items()},
        adjusted_on=notes.get("short_call_proposed_on", ""), rolled=bool(notes.get("rolled", False)),
        roll=None if roll is None else RollPlan.from_dict(roll), left_to_expire=tuple(notes.get("left_to_expire", [])))
