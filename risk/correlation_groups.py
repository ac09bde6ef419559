"""Correlation groups (SPEC section 4): membership by underlying root and the group limits.

A position belongs to the group of every underlying root it holds (usually one). Limits:

* `risk_group_limit` (2) positions per group in phases 1-3, `risk_group_limit_phase4` (3) in phase 4;
* groups in config.constants.SINGLE_POSITION_GROUPS (C2, D2): at most 1;
* an unknown root forms its own group "root:<ROOT>" with limit 1;
* A1 and A2 (config.constants.EQUITY_INDEX_GROUPS) together at most `risk_index_limit_phase<N>`
  (3, 4, 6, 8 in phases 1-4);
* never two positions in the same group with a common expiry.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from config.constants import CORRELATION_GROUPS, EQUITY_INDEX_GROUPS, SINGLE_POSITION_GROUPS
from config.framework_parameters import RiskParameters
from core.account import OpenPositionSummary

UNKNOWN_GROUP_PREFIX = "root:"

_GROUP_OF_ROOT: dict[str, str] = {root: group for group, roots in CORRELATION_GROUPS.items() for root in roots}


def group_of(root: str) -> str:
    """The correlation group of an underlying root ("SPY" -> "A2"); unknown roots -> "root:<ROOT>".

    Raises:
        ValueError: `root` is empty.
    """
    name = str(root).strip().upper()
    if not name:
        raise ValueError("root must not be empty")
    return _GROUP_OF_ROOT.get(name, UNKNOWN_GROUP_PREFIX + name)


def groups_of(roots: Iterable[str]) -> frozenset[str]:
    """The set of groups of several roots (a position's or an order's)."""
    return frozenset(group_of(root) for root in roots)


def group_limit(group: str, phase: int, risk_params: RiskParameters) -> int:
    """Positions allowed in one group: 1 for C2, D2 and unknown roots, else by phase.

    Raises:
        ValueError: `phase` is not 1-4.
    """
    if phase not in (1, 2, 3, 4):
        raise ValueError(f"phase must be 1-4, got {phase!r}")
    if group in SINGLE_POSITION_GROUPS or group.startswith(UNKNOWN_GROUP_PREFIX):
        return 1
    return risk_params.group_limit_phase4 if phase == 4 else risk_params.group_limit


@dataclass(frozen=True)
class GroupCheck:
    """Outcome of the group rules for one new position.

    `headroom` is how many more positions the tightest group (or combined) limit admits (0 or
    less when the new position is refused); `reason` is "ok", "correlation_group" or
    "same_group_same_expiry"; `detail` names the group.
    """

    allowed: bool
    headroom: int
    reason: str
    detail: str


def group_headroom(roots: Iterable[str], expiries: Iterable[date], open_positions: Sequence[OpenPositionSummary],
                   phase: int, risk_params: RiskParameters, exclude_position_id: str | None = None) -> GroupCheck:
    """Check whether a new position on `roots` with `expiries` fits the group rules.

    `open_positions` includes pending entries. `exclude_position_id` leaves one position out of
    the count (used when an order adds to that position, so it is judged as the whole position).
    The same-expiry rule is checked first: any open position sharing a group and an expiry with
    the new one refuses it.

    Raises:
        ValueError: an empty root or an unknown phase.
    """
    new_groups = groups_of(roots)
    new_expiries = frozenset(expiries)
    others = [p for p in open_positions if exclude_position_id is None or p.position_id != exclude_position_id]
    other_groups = [(p, groups_of(p.roots)) for p in others]
    for position, groups in other_groups:
        common = groups & new_groups
        shared = position.expiries & new_expiries
        if common and shared:
            return GroupCheck(False, 0, "same_group_same_expiry",
                              f"group {min(common)}: position {position.position_id} "
                              f"({position.strategy}) also expires {min(shared).isoformat()}")
    tightest = GroupCheck(True, 1 << 30, "ok", "")
    for group in sorted(new_groups):
        count = sum(1 for _, groups in other_groups if group in groups)
        room = group_limit(group, phase, risk_params) - count
        if room < tightest.headroom:
            tightest = GroupCheck(room >= 1, room, "ok" if room >= 1 else "correlation_group",
                                  f"group {group}: {count} open, limit {group_limit(group, phase, risk_params)}")
    if EQUITY_INDEX_GROUPS & new_groups:
        count = sum(1 for _, groups in other_groups if groups & EQUITY_INDEX_GROUPS)
        limit = risk_params.index_limit(phase)
        room = limit - count
        if room < tightest.headroom:
            names = "+".join(sorted(EQUITY_INDEX_GROUPS))
            tightest = GroupCheck(room >= 1, room, "ok" if room >= 1 else "correlation_group",
                                  f"groups {names} together: {count} open, limit {limit} in phase {phase}")
    return tightest
