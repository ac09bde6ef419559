"""The shared structure builder and exit rules on the modelled chain."""
from __future__ import annotations

import pytest

from core.types import CALL, PUT
from risk.margin import max_loss_at_expiry
from strategies.structures import DteWindow, ExitRules, LegRule, build_structure, exit_reason, product_points
from tests.strategies.kit import context, eastern, filled_position, scripted_market

TUESDAY = eastern(2024, 8, 6)
MONTH = (DteWindow(45, 38, 52),)


def chain(market, root="SPY", low=0, high=800):
    return market.chain(root, low, high)


def test_legs_by_delta_give_the_ratio_and_deltas_asked_for():
    market = scripted_market(TUESDAY, spy=530.0, vix=25.0)
    snapshot = chain(market, high=60)
    built = build_structure(snapshot, (LegRule(PUT, 1, delta=0.25), LegRule(PUT, -2, delta=0.16)), MONTH,
                            TUESDAY.date())
    assert not isinstance(built, str)
    assert [leg.ratio for leg in built.legs] == [1, -2]
    assert [abs(float(snapshot.delta[row])) for row in built.rows] == pytest.approx([0.25, 0.16], abs=0.02)
    assert 38 <= (built.expiries[0] - TUESDAY.date()).days <= 52
    assert built.net == pytest.approx(float(snapshot.mid[built.rows[0]] - 2 * snapshot.mid[built.rows[1]]))


@pytest.mark.parametrize(("offset", "expected"), [(-5.0, 525.0), (10.0, 540.0), (0.0, 530.0)])
def test_offsets_are_points_from_the_anchor_leg(offset, expected):
    market = scripted_market(TUESDAY, spy=530.0, vix=20.0)
    legs = (LegRule(CALL, 1, otm=0.0), LegRule(PUT, -1, offset=offset))
    built = build_structure(chain(market, high=60), legs, MONTH, TUESDAY.date())
    assert not isinstance(built, str)
    assert built.strike(0) == 530.0 and built.strike(1) == expected


def test_a_long_box_pays_its_width_and_costs_less_than_it():
    market = scripted_market(TUESDAY, spy=530.0, vix=20.0)
    legs = (LegRule(CALL, 1, otm=0.0), LegRule(CALL, -1, offset=500.0), LegRule(PUT, 1, offset=500.0),
            LegRule(PUT, -1, offset=0.0))
    built = build_structure(chain(market, "SPX", 365, 730), legs, (DteWindow(540, 365, 730),), TUESDAY.date())
    assert not isinstance(built, str)
    assert built.strike(1) - built.strike(0) == 500.0
    assert 400.0 < built.net < 500.0  # discounted at the kit's 4.5% rate
    long_box = [(leg.contract, leg.ratio) for leg in built.legs]
    short_box = [(leg.contract, -leg.ratio) for leg in built.legs]
    assert max_loss_at_expiry(long_box, -built.net * 100) == 0.0  # paid less than the 50,000 it pays
    assert max_loss_at_expiry(short_box, built.net * 100) == pytest.approx(50_000 - built.net * 100)


def test_calendar_legs_take_their_own_expiry_window():
    market = scripted_market(TUESDAY, spy=530.0, vix=14.0)
    legs = (LegRule(CALL, 1, delta=0.30, expiry=1), LegRule(CALL, -1, offset=0.0, expiry=0))
    windows = (DteWindow(30, 23, 37), DteWindow(60, 53, 67))
    built = build_structure(chain(market, high=70), legs, windows, TUESDAY.date())
    assert not isinstance(built, str)
    near, far = built.expiries
    assert built.legs[0].contract.expiry == far and built.legs[1].contract.expiry == near
    assert built.strike(0) == built.strike(1) and built.net > 0


@pytest.mark.parametrize(("legs", "windows", "reason"), [
    ((LegRule(PUT, -1, delta=0.2),), (DteWindow(100, 100, 110),), "no SPY expiry 100-110 DTE"),
    ((LegRule(PUT, -1, delta=0.2), LegRule(PUT, 1, offset=-5000.0)), MONTH, "no put strike 5000 points below"),
    ((LegRule(PUT, -1, delta=0.2), LegRule(PUT, 1, offset=0.0)), MONTH, "legs 1 and 2 landed on the same contract SPY "),
])
def test_a_missing_leg_is_a_reason(legs, windows, reason):
    market = scripted_market(TUESDAY, spy=530.0, vix=20.0)
    built = build_structure(chain(market, high=60), legs, windows, TUESDAY.date())
    assert isinstance(built, str) and reason in built


@pytest.mark.parametrize("kwargs", [{}, {"delta": 0.2, "otm": 0.1}, {"delta": 0.2, "ratio": 0}])
def test_a_leg_needs_one_strike_rule_and_a_ratio(kwargs):
    arguments = {"right": PUT, "ratio": 1, **kwargs}
    with pytest.raises(ValueError):
        LegRule(**arguments)


def test_product_points_scale_spy_points_to_the_index():
    assert product_points(5.0, "SPX") == 50.0
    assert product_points(10.0, "SPY", reference="SPX") == 1.0
    assert product_points(3.0, "QQQ") == 3.0
    # the one scale: every S&P 500 index product at 10 x SPY (the LT112 once had SPXW at 1 x, the 0DTE at 3 x)
    assert [product_points(5.0, root) for root in ("SPX", "SPXW", "ES", "MES", "IWM")] == [50.0, 50.0, 50.0, 50.0, 5.0]


def test_a_leg_may_be_anchored_to_a_later_leg_and_keeps_its_place():
    market = scripted_market(TUESDAY, spy=530.0, vix=20.0)
    snapshot = chain(market, high=60)
    condor = (LegRule(PUT, 1, offset=-5.0, anchor=1), LegRule(PUT, -1, delta=0.16),
              LegRule(CALL, 1, offset=5.0, anchor=3), LegRule(CALL, -1, delta=0.16))
    built = build_structure(snapshot, condor, MONTH, TUESDAY.date())
    assert not isinstance(built, str)
    assert [leg.ratio for leg in built.legs] == [1, -1, 1, -1]
    assert [leg.contract.right for leg in built.legs] == [PUT, PUT, CALL, CALL]
    assert built.strike(1) - built.strike(0) == 5.0 and built.strike(2) - built.strike(3) == 5.0
    listed_first = build_structure(snapshot, (condor[1], LegRule(PUT, 1, offset=-5.0)), MONTH, TUESDAY.date())
    assert not isinstance(listed_first, str) and listed_first.legs[::-1] == built.legs[:2]
    assert built.mids == tuple(float(snapshot.mid[row]) for row in built.rows)


@pytest.mark.parametrize("legs", [
    (LegRule(PUT, -1, delta=0.2), LegRule(PUT, 1, offset=-5.0, anchor=2), LegRule(PUT, 1, offset=-5.0)),
    (LegRule(PUT, 1, offset=-5.0, anchor=0),),
    (LegRule(PUT, -1, delta=0.2), LegRule(PUT, 1, offset=-5.0, anchor=4)),
])
def test_an_offset_leg_needs_a_delta_or_otm_leg_as_its_anchor(legs):
    market = scripted_market(TUESDAY, spy=530.0, vix=20.0)
    with pytest.raises(ValueError, match="is not a delta or otm leg"):
        build_structure(chain(market, high=60), legs, MONTH, TUESDAY.date())


def _credit_spread(spy, vix, when=TUESDAY):
    market = scripted_market(when, spy=spy, vix=vix)
    built = build_structure(chain(market, high=60), (LegRule(PUT, -1, delta=0.30), LegRule(PUT, 1, offset=-5.0)),
                            MONTH, when.date())
    assert not isinstance(built, str)
    ctx = context(market)
    return filled_position("test", built.legs, built.net, 1, ctx), built


@pytest.mark.parametrize(("spy", "vix", "rules", "reason"), [
    (560.0, 18.0, ExitRules(profit_target=0.5), "profit_target"),
    (480.0, 35.0, ExitRules(stop_loss=1.0), "stop_loss"),
    (530.0, 25.0, ExitRules(vix_at_or_above=25.0), "vix_exit"),
    (515.0, 25.0, ExitRules(short_delta=0.40), "delta_stop"),
    (530.0, 25.0, ExitRules(profit_target=0.5, stop_loss=1.0, short_delta=0.5, vix_at_or_above=30.0), None),
])
def test_exit_rules_fire_with_their_reason(spy, vix, rules, reason):
    position, _ = _credit_spread(530.0, 25.0)
    later = context(scripted_market(eastern(2024, 8, 7), spy=spy, vix=vix))
    assert exit_reason(later, position, rules) == reason


def test_time_exits_come_first():
    position, built = _credit_spread(530.0, 25.0)
    expiry = built.expiries[0]
    days_before = eastern(expiry.year, expiry.month, expiry.day - 3 if expiry.day > 3 else expiry.day)
    late = context(scripted_market(days_before, spy=560.0, vix=18.0))
    assert exit_reason(late, position, ExitRules(profit_target=0.5, exit_dte=5)) == "time_exit"
    afternoon = context(scripted_market(eastern(2024, 8, 7, 15, 1), spy=560.0, vix=18.0))
    assert exit_reason(afternoon, position, ExitRules(profit_target=0.5, exit_time="15:00")) == "time_exit"


def _without_strikes(snapshot, strikes):
    import numpy as np
    return snapshot.subset(~np.isin(snapshot.strikes, np.array(strikes, dtype=float)))


@pytest.mark.parametrize(("removed", "offset", "tolerance", "expected"), [
    ((), -10.0, 0.0, 520.0),  # the listed grid gives the rule's width exactly
    ((520.0,), -10.0, 0.0, "no put strike 10 points below 530: the nearest listed width is 9 (tolerance 0)"),
    ((520.0,), -10.0, 1.0, 521.0),  # within a stated tolerance: the nearest listed width (9 and 11 tie: 9)
    ((519.0, 520.0, 521.0), -10.0, 1.0, "the nearest listed width is 8 (tolerance 1)"),
    ((519.0, 520.0, 521.0, 522.0), -10.0, 1.0, "the nearest listed width is 12 (tolerance 1)"),
    ((520.0,), 10.0, 0.0, 540.0),  # the call side is not concerned
    ((), -2000.0, 5.0, "no put strike 2000 points below 530: the nearest listed width is"),
])
def test_a_width_the_strikes_cannot_give_is_skipped_or_taken_within_the_tolerance(removed, offset, tolerance,
                                                                                  expected):
    """Issue: 0DTE wings of 7-9 points and spike spreads 3-6 wide where the rule says 10 and 5."""
    market = scripted_market(TUESDAY, spy=530.0, vix=20.0)
    snapshot = _without_strikes(chain(market, high=60), removed)
    legs = (LegRule(PUT, -1, otm=0.0), LegRule(PUT if offset < 0 else CALL, 1, offset=offset))
    if offset > 0:
        legs = (LegRule(CALL, -1, otm=0.0), LegRule(CALL, 1, offset=offset))
    built = build_structure(snapshot, legs, MONTH, TUESDAY.date(), width_tolerance=tolerance)
    if isinstance(expected, str):
        assert isinstance(built, str) and expected in built
    else:
        assert not isinstance(built, str), built
        assert built.strike(1) == expected
