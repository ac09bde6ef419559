"""Tests of core/unified_position_sizer.py: Kelly, trade statistics and the sizing minimum."""
from __future__ import annotations

import json
import math
from dataclasses import fields
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from config.loader import load_config
from core.limits import MONEY_TOLERANCE, Limits
from core.unified_position_sizer import (
    KellyInputs,
    SizingResult,
    TradeStatistics,
    full_kelly,
    kelly_fraction,
    size_position,
)

CONFIG = load_config({})
LIMIT_FIELDS = {f.name for f in fields(Limits)}


def size(**inputs: Any) -> SizingResult:
    """size_position with the fields of Limits and its own arguments given side by side."""
    limits = Limits(**{name: value for name, value in inputs.items() if name in LIMIT_FIELDS})
    return size_position(limits, **{name: value for name, value in inputs.items() if name not in LIMIT_FIELDS})


def prior_of(section: Any) -> KellyInputs:
    return KellyInputs(section.kelly_win_rate, section.kelly_avg_win, section.kelly_avg_loss)


@pytest.mark.parametrize(("section", "expected"), [
    ("friday_0dte", 0.10),  # b = 0.25: 0.25 * (0.88 * 0.25 - 0.12) / 0.25
    ("lt112", 0.0625),  # b = 0.5: 0.25 * (0.375 - 0.25) / 0.5
    ("futures_strangle", 0.04),  # b = 0.5: 0.25 * (0.36 - 0.28) / 0.5
    ("ipmcc", 0.25 * (0.80 * 0.9 - 0.20) / 0.9),  # 0.14444
    ("vix_spike", 0.10),  # b = 0.5: 0.25 * (0.4 - 0.2) / 0.5
])
def test_quarter_kelly_of_the_seed_priors(section: str, expected: float) -> None:
    assert kelly_fraction(prior_of(getattr(CONFIG, section)), CONFIG.risk.kelly_fraction) == pytest.approx(expected)


@pytest.mark.parametrize("inputs", [
    KellyInputs(0.5, 1.0, 1.0), KellyInputs(0.6, 0.5, 1.0), KellyInputs(0.0, 1.0, 1.0),
    KellyInputs(1.2, 1.0, 1.0), KellyInputs(-0.1, 1.0, 1.0), KellyInputs(0.9, 0.0, 1.0),
    KellyInputs(0.9, 1.0, 0.0), KellyInputs(0.9, 1.0, -1.0), KellyInputs(float("nan"), 1.0, 1.0),
    KellyInputs(0.9, float("inf"), 1.0), KellyInputs(0.9, 1.0, None), None])  # type: ignore[arg-type]
def test_kelly_is_zero_for_no_edge_or_bad_inputs(inputs: KellyInputs | None) -> None:
    assert kelly_fraction(inputs) == 0.0 and full_kelly(inputs) == 0.0


def test_kelly_fraction_argument_and_certain_win() -> None:
    assert kelly_fraction(KellyInputs(1.0, 0.5, 2.0)) == pytest.approx(0.25)
    for bad in (0.0, -0.25, 1.5, float("nan")):
        assert kelly_fraction(KellyInputs(0.88, 0.5, 2.0), bad) == 0.0


def test_trade_statistics_normalise_and_average() -> None:
    stats = TradeStatistics()
    assert stats.realised_inputs() is None and math.isnan(stats.mean_result())
    assert stats.record(150.0, 300.0) == 0.5
    for result in (0.5, -2.0, 0.0):
        stats.record(result)
    realised = stats.realised_inputs()
    assert realised == KellyInputs(0.5, 0.5, 1.0)  # 2 wins of 0.5; non-wins -2.0 and 0.0 average 1.0
    assert stats.mean_result() == pytest.approx(-0.25)
    assert 0.5 * 0.5 - 0.5 * 1.0 == pytest.approx(stats.mean_result())  # p*win - q*loss is the expectancy
    for pnl, unit in ((float("nan"), 1.0), (1.0, 0.0), (1.0, -5.0), (1.0, float("inf"))):
        with pytest.raises(ValueError):
            stats.record(pnl, unit)
    assert stats.trades == 4


def test_prior_until_min_trades_then_blend() -> None:
    prior = prior_of(CONFIG.friday_0dte)
    stats = TradeStatistics()
    for _ in range(27):
        stats.record(0.5)
    for _ in range(2):
        stats.record(-2.0)
    assert stats.kelly_inputs(prior, 30) == prior  # 29 trades: prior only
    stats.record(-2.0)
    blended = stats.kelly_inputs(prior, 30)  # realised (0.9, 0.5, 2.0), weight 30/60
    assert blended.win_rate == pytest.approx(0.89)
    assert blended.avg_win == pytest.approx(0.5) and blended.avg_loss == pytest.approx(2.0)
    assert kelly_fraction(blended) == pytest.approx(0.25 * (0.89 * 0.25 - 0.11) / 0.25)
    assert not stats.stopped(30)
    with pytest.raises(ValueError, match="min_trades"):
        stats.kelly_inputs(prior, 0)


def test_no_realised_losses_keeps_the_prior_average_loss() -> None:
    prior = prior_of(CONFIG.friday_0dte)
    stats = TradeStatistics()
    for _ in range(30):
        stats.record(0.5)
    inputs = stats.kelly_inputs(prior, 30)
    assert inputs == KellyInputs(pytest.approx(0.94), pytest.approx(0.5), 2.0)  # type: ignore[arg-type]


def test_negative_realised_kelly_stops_the_strategy() -> None:
    prior = prior_of(CONFIG.friday_0dte)
    stats = TradeStatistics()
    for _ in range(24):
        stats.record(0.5)
    for _ in range(6):
        stats.record(-2.5)
    assert stats.mean_result() == pytest.approx(-0.1) and stats.stopped(30)
    inputs = stats.kelly_inputs(prior, 30)
    assert inputs == KellyInputs(0.8, 0.5, 2.5) and kelly_fraction(inputs) == 0.0
    result = size(**{**ZERO_DTE, "kelly": inputs})
    assert (result.quantity, result.reason) == (0, "kelly_non_positive")
    restored = TradeStatistics.from_dict(json.loads(json.dumps(stats.to_dict())))
    assert restored.kelly_inputs(prior, 30) == inputs and restored.stopped(30)
    with pytest.raises(ValueError, match="schema"):
        TradeStatistics.from_dict({**stats.to_dict(), "schema": 9})


# A 0DTE iron condor in the $30k seed account: $1.50 credit, 10-point wings, stop at 200% of credit.
ZERO_DTE: dict[str, Any] = {
    "net_liquidation": 30_000.0, "max_loss_per_unit": 300.0, "margin_per_unit": 850.0, "margin_used": 0.0,
    "per_trade_risk": 0.02, "buying_power_cap": 0.07, "phase_buying_power": 0.50, "regime_buying_power": 0.70,
    "reserve": 0.20, "kelly": KellyInputs(0.88, 0.5, 2.0), "kelly_fraction": 0.25, "contract_cap": 1,
    "regime_multiplier": 1.0, "drawdown_multiplier": 1.0}


@pytest.mark.parametrize(("changes", "quantity", "reason", "components"), [
    # risk 600/300 = 2, buying power min(2100, 15000)/850 = 2, Kelly 0.10*30000/300 = 10, cap 1
    ({}, 1, "contract_cap", {"risk_budget": 2, "buying_power": 2, "kelly_ceiling": 10, "contract_cap": 1}),
    ({"contract_cap": 10}, 2, "risk_budget", {"risk_budget": 2, "buying_power": 2, "base": 2}),
    # the multipliers scale the budgets before the one rounding: risk 0.75 x 600 / 300 = 1.5 -> 1
    ({"contract_cap": 10, "regime_multiplier": 0.75}, 1, "risk_budget", {"base": 2, "scale": 0.75}),
    ({"contract_cap": 10, "drawdown_multiplier": 0.5, "regime_multiplier": 0.75}, 0, "size_multipliers",
     {"risk_budget": 0, "base": 2}),  # 0.375 x 2 = 0.75 units: smaller than one unit is none
    # 1.98 units of risk budget (the 2023-03-14 strangle) x 0.75 = 1.48: one lot (flooring first gave 0)
    ({"contract_cap": 10, "max_loss_per_unit": 600.0 / 1.98, "margin_per_unit": 300.0, "regime_multiplier": 0.75},
     1, "risk_budget", {"risk_budget": 1, "base": 1}),
    # an intraday spike (x0.5) on a VOLATILE day (x0.75) and the -10% drawdown tier (x0.5): 0.1875 x 16 = 3
    ({"contract_cap": 10, "net_liquidation": 240_000.0, "margin_per_unit": 300.0, "regime_multiplier": 0.375,
      "drawdown_multiplier": 0.5}, 3, "risk_budget", {"risk_budget": 3, "base": 10}),
    ({"contract_cap": 10, "margin_used": 14_000.0}, 1, "buying_power", {"buying_power_headroom": 1_000.0}),
    ({"margin_used": 14_500.0}, 0, "buying_power", {"buying_power": 0}),
    ({"regime_buying_power": 0.0}, 0, "buying_power", {"buying_power_headroom": 0.0}),  # EXTREME
    ({"max_loss_per_unit": 601.0, "margin_per_unit": 601.0}, 0, "risk_budget", {"risk_budget": 0}),
    # a covered short call (0 margin) is not limited by buying power, even with no headroom left
    ({"margin_per_unit": 0.0, "margin_used": 20_000.0, "contract_cap": 10}, 2, "risk_budget", {"base": 2}),
    ({"max_loss_per_unit": 600.0, "margin_per_unit": 600.0}, 1, "risk_budget", {"risk_budget": 1}),  # exact
    # Kelly binds: p=0.52, b=1 -> f = 0.25 * 0.04 = 0.01 -> 0.01 * 100000 / 500 = 2 < risk 2000/500 = 4
    ({"net_liquidation": 100_000.0, "max_loss_per_unit": 500.0, "margin_per_unit": 500.0, "contract_cap": 10,
      "kelly": KellyInputs(0.52, 1.0, 1.0)}, 2, "kelly_ceiling", {"kelly_ceiling": 2, "risk_budget": 4}),
    # spike deployment: regime cap replaced by the budget; 1000 / 400 = 2
    ({"max_loss_per_unit": 200.0, "margin_per_unit": 400.0, "regime_buying_power": 1.0, "buying_power_cap": 0.2,
      "contract_cap": 10, "deployment_budget": 1_000.0}, 2, "buying_power", {"buying_power_room": 1_000.0}),
    # no per-position cap (the spike deployment's): headroom and the budget bound it; 1000 / 400 = 2
    ({"max_loss_per_unit": 200.0, "margin_per_unit": 400.0, "regime_buying_power": 1.0, "buying_power_cap": None,
      "contract_cap": 10, "deployment_budget": 1_000.0}, 2, "buying_power", {"buying_power_room": 1_000.0}),
    # an add: margin the position already holds counts against its cap: 2100 - 1300 = 800 -> 0 units
    ({"position_margin": 1_300.0}, 0, "buying_power", {"buying_power_room": 800.0}),
])
def test_size_position_table(changes: dict[str, Any], quantity: int, reason: str,
                             components: dict[str, Any]) -> None:
    result = size(**{**ZERO_DTE, **changes})
    assert (result.quantity, result.reason) == (quantity, reason)
    for name, value in components.items():
        assert result.components[name] == pytest.approx(value), name
    assert result.to_dict()["quantity"] == quantity


def test_vanishing_per_unit_amounts_do_not_overflow() -> None:
    result = size(**{**ZERO_DTE, "max_loss_per_unit": 1e-308, "margin_per_unit": 5e-324,
                              "contract_cap": 3})
    assert (result.quantity, result.reason) == (3, "contract_cap")
    assert result.components["risk_budget"] == 10**12


def test_hedge_without_kelly_is_sized_by_its_budgets() -> None:
    # a LEAP put rung costing $600 (the loss is the premium): 600/600 = 1; 0.035 * 30000 / 600 = 1
    result = size(**{**ZERO_DTE, "kelly": None, "max_loss_per_unit": 600.0, "margin_per_unit": 600.0,
                              "buying_power_cap": 0.035, "kelly_fraction": float("nan")})
    assert (result.quantity, result.reason) == (1, "risk_budget")
    assert "kelly_ceiling" not in result.components and result.components["kelly_f"] is None


@pytest.mark.parametrize(("name", "bad"), [
    ("net_liquidation", float("nan")), ("net_liquidation", 0.0), ("max_loss_per_unit", 0.0),
    ("max_loss_per_unit", None), ("margin_per_unit", -850.0), ("margin_per_unit", float("inf")),
    ("margin_per_unit", None),
    ("margin_used", -1.0), ("per_trade_risk", 0.0), ("buying_power_cap", 1.5), ("phase_buying_power", 0.0),
    ("regime_buying_power", -0.1), ("reserve", float("nan")), ("kelly_fraction", 0.0), ("contract_cap", 0),
    ("regime_multiplier", 1.5), ("drawdown_multiplier", None),
    ("deployment_budget", float("nan")), ("net_liquidation", "30000")])
def test_bad_inputs_never_trade(name: str, bad: object) -> None:
    result = size(**{**ZERO_DTE, name: bad})
    assert (result.quantity, result.reason) == (0, f"bad_input:{name}")


@st.composite
def sizing_inputs(draw: st.DrawFn) -> dict[str, Any]:
    """Random sizing inputs; loss, margin and margin in use scale with net liquidation and the caps
    so that every component binds in some examples."""
    net_liq = draw(st.floats(1_000.0, 5e6))
    phase, regime = draw(st.floats(0.01, 1.0)), draw(st.floats(0.0, 1.0))
    reserve = draw(st.sampled_from([0.0, 0.2]) | st.floats(0.0, 0.9))
    return {
        "net_liquidation": net_liq,
        "max_loss_per_unit": net_liq * 10 ** draw(st.floats(-5.0, -1.0)),
        "margin_per_unit": net_liq * 10 ** draw(st.floats(-5.0, -1.0)),
        "margin_used": net_liq * min(phase, regime, 1 - reserve) * draw(st.floats(0.0, 1.2)),
        "per_trade_risk": draw(st.floats(0.001, 0.2)), "buying_power_cap": draw(st.floats(0.01, 1.0)),
        "phase_buying_power": phase, "regime_buying_power": regime, "reserve": reserve,
        "kelly": KellyInputs(draw(st.floats(0.3, 1.0)), draw(st.floats(0.1, 10.0)), draw(st.floats(0.1, 3.0))),
        "kelly_fraction": draw(st.floats(0.01, 1.0)), "contract_cap": draw(st.integers(1, 1000)),
        "regime_multiplier": draw(st.sampled_from([0.0, 0.5, 0.75, 1.0, 1.0, 1.0])),
        "drawdown_multiplier": draw(st.sampled_from([0.0, 0.5, 1.0, 1.0])),
        "deployment_budget": draw(st.none() | st.floats(0.0, 1e6))}


INPUTS = sizing_inputs()


@settings(max_examples=1000, deadline=None)
@given(INPUTS)
def test_result_never_exceeds_any_component_or_the_risk_budget(inputs: dict[str, Any]) -> None:
    result = size(**inputs)
    assert isinstance(result.quantity, int) and result.quantity >= 0
    f = kelly_fraction(inputs["kelly"], inputs["kelly_fraction"])
    if f <= 0:
        assert (result.quantity, result.reason) == (0, "kelly_non_positive")
        return
    c = result.components
    for name in ("risk_budget", "buying_power", "kelly_ceiling", "contract_cap", "base"):
        assert result.quantity <= c[name], name
    assert result.quantity == min(c[name] for name in ("risk_budget", "buying_power", "kelly_ceiling", "contract_cap"))
    net_liq, scale = inputs["net_liquidation"], inputs["regime_multiplier"] * inputs["drawdown_multiplier"]
    tolerance = 1e-9 * inputs["max_loss_per_unit"] + MONEY_TOLERANCE
    assert result.quantity * inputs["max_loss_per_unit"] <= scale * inputs["per_trade_risk"] * net_liq + tolerance
    assert result.quantity * inputs["max_loss_per_unit"] <= scale * f * net_liq + tolerance
    if result.quantity > 0:
        room = min(inputs["buying_power_cap"] * net_liq,
                   min(inputs["phase_buying_power"], inputs["regime_buying_power"], 1 - inputs["reserve"]) * net_liq
                   - inputs["margin_used"])
        if inputs["deployment_budget"] is not None:
            room = min(room, inputs["deployment_budget"])
        assert result.quantity * inputs["margin_per_unit"] <= scale * room + 1e-9 * inputs["margin_per_unit"] + MONEY_TOLERANCE
    # the multipliers never make a position larger, and a scale of 1 is the unscaled minimum
    assert result.quantity <= c["base"]
    if scale == 1.0:
        assert result.quantity == c["base"]


@settings(max_examples=1000, deadline=None)
@given(st.floats(1_000.0, 5e6), st.floats(1.0, 1_000.0), st.floats(0.0, 0.999), st.floats(0.0, 1.0),
       st.floats(0.01, 10.0))
def test_zero_or_negative_edge_never_trades(net_liq: float, max_loss: float, p: float, share: float,
                                            loss: float) -> None:
    win = share * (1 - p) * loss / p if p > 0 else 1.0  # p*win - q*loss <= 0 (== 0 when share is 1)
    result = size(**{**ZERO_DTE, "net_liquidation": net_liq, "max_loss_per_unit": max_loss,
                              "margin_per_unit": max_loss, "contract_cap": 1000,
                              "kelly": KellyInputs(p, win, loss)})
    assert result.quantity == 0
    if share < 1.0:  # at exactly zero edge rounding may leave a tiny positive f, which still floors to 0
        assert result.reason == "kelly_non_positive"


BAD_VALUES = st.sampled_from([None, float("nan"), float("inf"), -float("inf"), -1.0, 0.0, "1"])
REQUIRED_POSITIVE = ["net_liquidation", "max_loss_per_unit", "per_trade_risk", "buying_power_cap",
                     "phase_buying_power", "kelly_fraction", "contract_cap"]
NON_NEGATIVE = ["margin_per_unit", "margin_used", "regime_buying_power", "reserve",
                "regime_multiplier", "drawdown_multiplier"]


@settings(max_examples=1000, deadline=None)
@given(INPUTS, st.sampled_from(REQUIRED_POSITIVE + NON_NEGATIVE), BAD_VALUES)
def test_bad_inputs_never_yield_a_trade(inputs: dict[str, Any], name: str, bad: object) -> None:
    assume(not (name in NON_NEGATIVE and bad == 0.0))  # zero is a valid value there (binding, not bad)
    assume(not (name == "buying_power_cap" and bad is None))  # None: no per-position cap (the spike deployment)
    result = size(**{**inputs, name: bad})
    assert result.quantity == 0
    assert result.reason == f"bad_input:{name}"
