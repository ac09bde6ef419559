"""Tests of core/limits.py: the limits the sizer and the risk gate share."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from config.loader import load_config
from core.account import AccountSnapshot
from core.limits import Limits, account_limits, contract_cap, units_within

RISK = load_config().risk
ACCOUNT = AccountSnapshot(time=datetime(2024, 3, 8, 10, 30, tzinfo=ZoneInfo("America/New_York")),
                          net_liquidation=30_000.0, margin_used=4_000.0, high_water_mark=30_000.0,
                          day_start_value=30_000.0, losing_streak_today=0, phase=1, regime="NORMAL",
                          vix_usable=True, intraday_spike=False, open_positions=())


def test_units_within_is_exact_at_the_boundary() -> None:
    assert units_within(2_100.0, 700.0) == 3
    assert 3 * 0.1 > 0.3  # floating point: 0.30000000000000004; still three units fit
    assert units_within(0.3, 0.1) == 3
    assert units_within(0.3 - 1e-5, 0.1) == 2
    assert units_within(-1.0, 5.0) == 0
    assert units_within(-1.0, 0.0) == 0  # an overdrawn budget admits nothing, even at no cost
    assert units_within(100.0, 0.0) is None
    assert units_within(100.0, 1e-300) is None


def test_contract_cap_by_phase() -> None:
    assert [contract_cap(RISK, phase) for phase in (1, 2, 3, 4)] == [1, 10, 10, 10]


def test_each_limit_from_the_account_and_the_parameters() -> None:
    limits = account_limits(ACCOUNT, RISK, quantity=10, phase_buying_power=0.50, regime_buying_power=0.70,
                            buying_power_cap=0.07, deployment_budget=None, position_margin=500.0)
    assert limits.risk_budget == pytest.approx(600.0)  # 2% of 30,000
    assert limits.position_budget == pytest.approx(2_100.0) and limits.position_room == pytest.approx(1_600.0)
    assert limits.cap_fraction == 0.50  # min(phase 50%, regime 70%, 1 - 20% reserve)
    assert limits.headroom == pytest.approx(11_000.0)  # 15,000 - 4,000 in use
    assert limits.contract_cap == 1  # phase 1 caps at one unit, below the 10 asked
    phase2 = account_limits(replace(ACCOUNT, phase=2), RISK, quantity=3, phase_buying_power=0.65,
                            regime_buying_power=1.0, buying_power_cap=None, deployment_budget=1_000.0)
    assert phase2.contract_cap == 3  # the strategy asked for fewer than the phase's 10
    assert phase2.position_budget is None and phase2.position_room is None
    assert phase2.cap_fraction == pytest.approx(0.65) and phase2.deployment_budget == 1_000.0


def test_the_reserve_binds_when_phase_and_regime_allow_more() -> None:
    limits = Limits(net_liquidation=100_000.0, margin_used=0.0, per_trade_risk=0.02, buying_power_cap=0.1,
                    phase_buying_power=0.95, regime_buying_power=1.0, reserve=0.20, contract_cap=10)
    assert limits.cap_fraction == pytest.approx(0.80) and limits.headroom == pytest.approx(80_000.0)
