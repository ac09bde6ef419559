"""The registry and the strategies' declarations (config/strategy_spec.py)."""
from __future__ import annotations

import pytest

from config.constants import Regime
from config.loader import FrameworkConfig, load_config
from config.strategy_spec import PositionCap
from strategies.registry import SPECS, STRATEGIES, build_strategies, risk_policies, shares_strategy

ADVANCED = ("put_ratio_spread", "jade_lizard", "broken_wing_butterfly", "short_leap_put", "weekly_butterfly",
            "diagonal_calendar", "box_spread", "bear_trap_11x")


def test_one_list_in_run_order_each_class_with_its_own_declaration():
    assert [cls.key for _, cls in STRATEGIES] == [spec.key for spec, _ in STRATEGIES]
    assert [spec.key for spec in SPECS] == ["vix_spike", "friday_0dte", "lt112", "futures_strangle", "leap_put_ladder",
                                            "ipmcc", *ADVANCED]
    assert [s.key for s in build_strategies(load_config())] == [spec.key for spec in SPECS]


def test_every_strategy_section_is_named_by_its_key():
    sections = {name for name, value in vars(FrameworkConfig()).items() if hasattr(value, "enabled")}
    assert sections == {spec.key for spec in SPECS}


def test_risk_policies_as_declared():
    policies = risk_policies()
    config = load_config({"jade_lizard_min_phase": "3"})
    core = ("friday_0dte", "lt112", "futures_strangle", "leap_put_ladder", "ipmcc", "vix_spike")
    assert [policies[key].unlock_phase(getattr(config, key)) for key in core] == [1] * 6
    assert policies["jade_lizard"].unlock_phase(config.jade_lizard) == 3
    assert policies["box_spread"].unlock_phase(config.box_spread) == 3 and policies["put_ratio_spread"].unlock_phase(
        config.put_ratio_spread) == 2
    assert [key for key, policy in policies.items() if policy.spike_deployment] == ["vix_spike"]
    assert sorted(key for key, policy in policies.items() if policy.position_cap == PositionCap.RUNG) == [
        "leap_put_ladder", "short_leap_put"]
    refusing = {key: policy.refusal for key, policy in policies.items() if policy.refusal is not None}
    assert list(refusing) == ["futures_strangle"]
    assert refusing["futures_strangle"].regimes == {Regime.EXTREMELY_LOW, Regime.HIGH, Regime.EXTREME}
    assert shares_strategy() == "ipmcc"


@pytest.mark.parametrize(("overrides", "roots"), [
    ({}, ("SPY",)),
    ({"vix_spike_use_futures": "true"}, ("MES",)),
])
def test_the_spike_deployment_declares_the_product_it_trades(overrides: dict[str, str], roots: tuple[str, ...]):
    spec = SPECS[0]
    params = spec.parameters(load_config(overrides))
    assert spec.roots(params) == roots and spec.product(params) == roots[0]
    (_, window), = spec.option_windows(params)
    target = params.futures_dte if params.use_futures else params.target_dte
    assert (window.min_dte, window.max_dte) == (21, target + 30)
