"""Correlation groups: membership by root, limits per phase, combined limits, same-expiry rule."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from config.framework_parameters import RiskParameters
from core.account import OpenPositionSummary
from risk.correlation_groups import group_headroom, group_limit, group_of

RISK = RiskParameters()
JAN = date(2024, 1, 19)
FEB = date(2024, 2, 16)
MAR = date(2024, 3, 15)


def position(pid: str, roots: set[str], expiries: set[date], strategy: str = "lt112") -> OpenPositionSummary:
    return OpenPositionSummary(pid, strategy, frozenset(roots), frozenset(expiries), 1, 1_000.0)


@pytest.mark.parametrize(("root", "group"), [
    ("SPY", "A2"), ("spx", "A2"), ("MES", "A1"), ("ES", "A1"), ("GLD", "B1"), ("MCL", "C1"), ("UNG", "C2"),
    ("HE", "D2"), ("6E", "E"), ("XYZ", "root:XYZ"),
])
def test_group_of_root(root: str, group: str) -> None:
    assert group_of(root) == group


def test_group_of_rejects_an_empty_root() -> None:
    with pytest.raises(ValueError, match="root"):
        group_of(" ")


@pytest.mark.parametrize(("group", "phase", "limit"), [
    ("A2", 1, 2), ("A2", 3, 2), ("A2", 4, 3), ("C2", 4, 1), ("D2", 2, 1), ("root:XYZ", 4, 1), ("B1", 4, 3),
])
def test_group_limit(group: str, phase: int, limit: int) -> None:
    assert group_limit(group, phase, RISK) == limit


def test_group_limit_rejects_unknown_phase() -> None:
    with pytest.raises(ValueError, match="phase"):
        group_limit("A2", 0, RISK)


def test_headroom_counts_positions_in_the_group() -> None:
    one = [position("p1", {"SPY"}, {JAN})]
    result = group_headroom({"QQQ"}, {FEB}, one, 1, RISK)
    assert (result.allowed, result.headroom) == (True, 1)
    two = [*one, position("p2", {"IWM"}, {MAR})]
    result = group_headroom({"QQQ"}, {FEB}, two, 1, RISK)
    assert (result.allowed, result.headroom, result.reason) == (False, 0, "correlation_group")
    assert "group A2: 2 open, limit 2" in result.detail
    # phase 4 allows 3 per group
    assert group_headroom({"QQQ"}, {FEB}, two, 4, RISK).allowed


def test_headroom_same_group_same_expiry_is_refused_even_with_room() -> None:
    result = group_headroom({"QQQ"}, {JAN}, [position("p1", {"SPY"}, {JAN})], 4, RISK)
    assert (result.allowed, result.reason) == (False, "same_group_same_expiry")
    # the same expiry in another group is fine
    assert group_headroom({"GLD"}, {JAN}, [position("p1", {"SPY"}, {JAN})], 4, RISK).allowed


def test_headroom_combined_a1_a2_limit_grows_with_the_phase() -> None:
    # A1+A2 together: 3, 4, 6, 8 in phases 1-4; per-group limits raised here to isolate the combined one
    wide = replace(RISK, group_limit=10, group_limit_phase4=10)
    spread = [date(2024, 7, 19) + timedelta(weeks=k) for k in range(9)]
    roots = ["SPY", "MES", "QQQ", "MNQ", "IWM", "ES", "SPX", "NQ"]
    opened = [position(f"p{k}", {root}, {spread[k]}) for k, root in enumerate(roots)]
    for phase, limit in ((1, 3), (2, 4), (3, 6), (4, 8)):
        assert group_headroom({"M2K"}, {spread[8]}, opened[:limit - 1], phase, wide).allowed
        result = group_headroom({"M2K"}, {spread[8]}, opened[:limit], phase, wide)
        assert (result.allowed, result.reason) == (False, "correlation_group"), phase
        assert f"A1+A2 together: {limit} open, limit {limit} in phase {phase}" in result.detail
    # a parameter: phase 4 with risk_index_limit_phase4 = 3 refuses the fourth
    assert not group_headroom({"M2K"}, {spread[8]}, opened[:3], 4, replace(wide, index_limit_phase4=3)).allowed


def test_a_phase_four_account_holds_three_index_etf_and_three_index_futures_positions() -> None:
    # defaults: A1 3 and A2 3 in phase 4 (the per-group limit binds before A1+A2's 8); was 3 in all
    spread = [date(2024, 7, 19) + timedelta(weeks=k) for k in range(7)]
    opened = [position(f"p{k}", {root}, {spread[k]}) for k, root in enumerate(["SPY", "SPX", "QQQ", "MES", "ES"])]
    assert group_headroom({"MNQ"}, {spread[6]}, opened, 4, RISK).allowed
    refused = group_headroom({"IWM"}, {spread[6]}, opened, 4, RISK)
    assert (refused.allowed, refused.detail) == (False, "group A2: 3 open, limit 3")
    assert not group_headroom({"MNQ"}, {spread[6]}, opened[:3], 1, RISK).allowed  # phase 1: A1+A2 3


def test_headroom_single_position_groups_and_unknown_roots() -> None:
    assert not group_headroom({"NG"}, {FEB}, [position("p1", {"UNG"}, {JAN})], 4, RISK).allowed
    assert group_headroom({"XYZ"}, {FEB}, [], 1, RISK).headroom == 1
    assert not group_headroom({"XYZ"}, {FEB}, [position("p1", {"XYZ"}, {JAN})], 1, RISK).allowed


def test_headroom_excludes_the_position_being_added_to() -> None:
    opened = [position("p1", {"SPY"}, {JAN}), position("p2", {"IWM"}, {MAR})]
    assert not group_headroom({"SPY"}, {FEB}, opened, 1, RISK).allowed
    result = group_headroom({"SPY"}, {FEB}, opened, 1, RISK, exclude_position_id="p1")
    assert (result.allowed, result.headroom) == (True, 1)
