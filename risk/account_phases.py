"""Account phases (SPEC section 1): table lookup, hysteresis at the daily close, futures size.

`phase_for` is the raw lookup in config.constants.PHASE_TABLE. The phase the framework trades
under is the one kept by `PhaseTracker`, which moves only when the account has been past a
boundary by the hysteresis fraction (parameter `risk_phase_hysteresis`, 5%) at a daily close:

* up from phase p to q > p when net liquidation >= min_net_liq(q) * (1 + hysteresis);
* down from phase p to q < p when net liquidation < min_net_liq(q + 1) * (1 - hysteresis).

Several phases may be crossed in one close; the tracker goes to the furthest phase whose
boundary was passed by the hysteresis margin.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from config.constants import FULL_SIZE_FUTURES_MIN_NET_LIQ, PHASE_TABLE, PRODUCTS, PhaseRule

TRACKER_SCHEMA_VERSION = 1
FULL_SIZE = "full"
MICRO = "micro"

# Roots that have a micro version in the product table (ES, NQ, CL, GC): the full-size contracts.
FULL_SIZE_FUTURES_ROOTS: frozenset[str] = frozenset(
    spec.micro_of for spec in PRODUCTS.values() if spec.micro_of is not None)


def _check_net_liq(net_liq: float) -> float:
    value = float(net_liq)
    if not math.isfinite(value):
        raise ValueError(f"net_liq must be a finite number (USD), got {net_liq!r}")
    return value


def phase_for(net_liq: float) -> int:
    """The raw phase (1-4) of a net liquidation value in USD, without hysteresis.

    Values below the first row's bound (including negative ones) are phase 1.

    Raises:
        ValueError: `net_liq` is not finite.
    """
    value = _check_net_liq(net_liq)
    phase = PHASE_TABLE[0].phase
    for rule in PHASE_TABLE:
        if value >= rule.min_net_liq:
            phase = rule.phase
    return phase


def phase_rule(phase: int) -> PhaseRule:
    """The PHASE_TABLE row of `phase` (max positions, max buying-power fraction, lower bound).

    Raises:
        ValueError: `phase` is not in the table.
    """
    for rule in PHASE_TABLE:
        if rule.phase == phase:
            return rule
    raise ValueError(f"phase must be one of {[r.phase for r in PHASE_TABLE]}, got {phase!r}")


def futures_size_allowed(net_liq: float) -> str:
    """"full" when full-size futures (ES, NQ, CL, GC) may trade (net liq >= $75,000), else "micro".

    Raises:
        ValueError: `net_liq` is not finite.
    """
    return FULL_SIZE if _check_net_liq(net_liq) >= FULL_SIZE_FUTURES_MIN_NET_LIQ else MICRO


def root_size_allowed(root: str, net_liq: float) -> bool:
    """Whether contracts on `root` (a future or a futures option's underlying) may trade at `net_liq`.

    Only the full-size futures roots are restricted; every other root is allowed here.

    Raises:
        ValueError: `net_liq` is not finite.
    """
    if root.upper() in FULL_SIZE_FUTURES_ROOTS:
        return futures_size_allowed(net_liq) == FULL_SIZE
    _check_net_liq(net_liq)
    return True


@dataclass(frozen=True)
class PhaseChange:
    """A phase change decided at the daily close of `day` (for the journal)."""

    day: date
    old_phase: int
    new_phase: int
    net_liq: float
    boundary: float  # USD boundary that was crossed last (the one nearest the new phase)

    @property
    def reason(self) -> str:
        direction = "up" if self.new_phase > self.old_phase else "down"
        return (f"phase {self.old_phase} -> {self.new_phase} ({direction}): net liquidation "
                f"{self.net_liq:,.2f} past the {self.boundary:,.2f} boundary by the hysteresis margin")


class PhaseTracker:
    """The account phase with hysteresis, updated only at daily closes.

    Args:
        phase: the current phase (1-4).
        hysteresis: fraction past a boundary needed before the phase changes (0.05 = 5%).
        last_close_day: day of the last processed daily close, if any.

    Raises:
        ValueError: an unknown phase or a hysteresis outside [0, 1).
    """

    def __init__(self, phase: int, hysteresis: float, last_close_day: date | None = None) -> None:
        phase_rule(phase)
        if not (math.isfinite(hysteresis) and 0.0 <= hysteresis < 1.0):
            raise ValueError(f"hysteresis must be a fraction in [0, 1), got {hysteresis!r}")
        self._phase = phase
        self._hysteresis = float(hysteresis)
        self._last_close_day = last_close_day

    @classmethod
    def start(cls, net_liq: float, hysteresis: float) -> PhaseTracker:
        """A tracker starting in the raw phase of `net_liq` (e.g. the backtest's starting cash)."""
        return cls(phase_for(net_liq), hysteresis)

    @property
    def phase(self) -> int:
        return self._phase

    @property
    def last_close_day(self) -> date | None:
        return self._last_close_day

    def on_daily_close(self, net_liq: float, day: date) -> PhaseChange | None:
        """Process the daily close of `day` at `net_liq` USD; return the change, if any.

        Raises:
            ValueError: `net_liq` is not finite, or `day` is before the last processed close.
        """
        value = _check_net_liq(net_liq)
        if self._last_close_day is not None and day < self._last_close_day:
            raise ValueError(f"daily close {day} is before the last processed close {self._last_close_day}")
        self._last_close_day = day
        raw = phase_for(value)
        new_phase, boundary = self._phase, 0.0
        if raw > self._phase:
            for rule in PHASE_TABLE:
                if self._phase < rule.phase <= raw and value >= rule.min_net_liq * (1.0 + self._hysteresis):
                    new_phase, boundary = rule.phase, rule.min_net_liq
        elif raw < self._phase:
            for rule in reversed(PHASE_TABLE):
                # moving down to the phase below `rule` needs the value under rule's bound by the margin
                below = rule.phase - 1
                if raw <= below < self._phase and value < rule.min_net_liq * (1.0 - self._hysteresis):
                    new_phase, boundary = below, rule.min_net_liq
        if new_phase == self._phase:
            return None
        change = PhaseChange(day, self._phase, new_phase, value, boundary)
        self._phase = new_phase
        return change

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state (the hysteresis is configuration and is not stored)."""
        return {"schema": TRACKER_SCHEMA_VERSION, "phase": self._phase,
                "last_close_day": self._last_close_day.isoformat() if self._last_close_day else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any], hysteresis: float) -> PhaseTracker:
        """Restore a tracker saved by `to_dict`, with the hysteresis of the current configuration.

        Raises:
            ValueError: unknown schema version, missing or invalid fields.
        """
        if data.get("schema") != TRACKER_SCHEMA_VERSION:
            raise ValueError(f"phase tracker state has schema {data.get('schema')!r}, "
                             f"expected {TRACKER_SCHEMA_VERSION}")
        if "phase" not in data:
            raise ValueError("phase tracker state has no 'phase'")
        day = data.get("last_close_day")
        return cls(int(data["phase"]), hysteresis, date.fromisoformat(day) if day else None)
