"""Parameter names follow the strategy keys; old names still work with a note; unknown names get
the closest known names."""
from __future__ import annotations

import pytest

from config.loader import (
    PARAMETERS,
    RENAMED,
    changed_parameters,
    closest_names,
    deprecation_notes,
    load_config,
)
from strategies.registry import build_strategies


def test_strategy_parameters_carry_the_strategy_key():
    strategy_keys = {strategy.key for strategy in build_strategies(load_config())}
    assert {"friday_0dte", "leap_put_ladder"} <= strategy_keys
    assert "friday_0dte_enabled" in PARAMETERS and "leap_put_ladder_max_rungs" in PARAMETERS
    assert not [name for name in PARAMETERS if name.startswith(("zero_dte_", "leap_ladder_"))]
    for key in strategy_keys:
        assert f"{key}_enabled" in PARAMETERS, key


def test_old_names_still_work_and_get_a_note():
    config = load_config({"zero_dte_vix_min": "25", "leap_ladder_max_rungs": "3"})
    assert config.friday_0dte.vix_min == 25.0 and config.leap_put_ladder.max_rungs == 3
    assert RENAMED["zero_dte_vix_min"] == "friday_0dte_vix_min"
    assert deprecation_notes(["zero_dte_vix_min", "lt112_product"]) == [
        "parameter zero_dte_vix_min is now called friday_0dte_vix_min (the old name still works for now)"]
    with pytest.raises(ValueError, match="given twice"):
        load_config({"zero_dte_vix_min": "25", "friday_0dte_vix_min": "26"})


def test_errors_name_the_current_parameter():
    with pytest.raises(ValueError, match="friday_0dte_vix_min must be below friday_0dte_vix_max"):
        load_config({"friday_0dte_vix_min": "45"})


@pytest.mark.parametrize(("typed", "suggested"), [
    ("friday_0dte_enable", "friday_0dte_enabled"),
    ("lt112_profit_targt", "lt112_profit_target"),
    ("friday0dte_vix_min", "friday_0dte_vix_min"),
])
def test_unknown_names_get_the_closest_known_names(typed, suggested):
    assert suggested in closest_names(typed)
    with pytest.raises(ValueError, match=f"unknown parameter '{typed}'; did you mean .*{suggested}"):
        load_config({typed: "1"})


def test_changed_parameters_lists_only_what_differs_from_the_default():
    config = load_config({"lt112_profit_target": "0.6", "backtest_cash": "50000", "zero_dte_vix_min": "22"})
    assert changed_parameters(config) == {"lt112_profit_target": 0.6, "backtest_cash": 50000.0}
