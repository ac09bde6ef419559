"""Portfolio Greeks: multipliers from the product table, dollar units, beta weighting, totals."""
from __future__ import annotations

import math

import pytest

from config.constants import product_spec
from greeks.portfolio_greeks import GreekExposure, OptionLeg, PortfolioGreeks, portfolio_greeks
from greeks.pricing import black76_price_and_greeks, bsm_price_and_greeks

SPY_PUT = OptionLeg(root="SPY", right="put", strike=430.0, T=45 / 365, quantity=-2, underlying_price=450.0,
                    sigma=0.18, r=0.05, q=0.013)
ES_CALL = OptionLeg(root="/ES", right="call", strike=5200.0, T=30 / 365, quantity=1, underlying_price=5000.0,
                    sigma=0.16, r=0.05)
CL_PUT = OptionLeg(root="CL", right="p", strike=70.0, T=60 / 365, quantity=-1, underlying_price=75.0,
                   sigma=0.35, r=0.05, beta=0.3)


@pytest.mark.parametrize(("root", "multiplier"), [
    ("SPY", 100.0), ("SPX", 100.0), ("QQQ", 100.0), ("ES", 50.0), ("/ES", 50.0), ("MES", 5.0), ("NQ", 20.0),
    ("MNQ", 2.0), ("CL", 1000.0), ("MCL", 100.0), ("GC", 100.0), ("MGC", 10.0),
])
def test_multiplier_comes_from_the_product_table(root, multiplier):
    leg = OptionLeg(root=root, right="call", strike=100.0, T=0.25, quantity=1, underlying_price=100.0,
                    sigma=0.2)
    pos = portfolio_greeks([leg]).positions[0]
    assert pos.multiplier == multiplier == product_spec(root.lstrip("/")).multiplier
    assert pos.exposure.value == pytest.approx(pos.price * multiplier)


def test_dollar_units_of_a_short_spy_put():
    pos = portfolio_greeks([SPY_PUT]).positions[0]
    ref = bsm_price_and_greeks("put", 450.0, 430.0, 45 / 365, 0.05, 0.013, 0.18)
    m, n, s = 100.0, -2.0, 450.0
    e = pos.exposure
    assert pos.model == "bsm"
    assert pos.price == pytest.approx(ref["price"])
    assert e.value == pytest.approx(ref["price"] * m * n)
    assert e.delta_units == pytest.approx(ref["delta"] * m * n)
    assert e.dollar_delta == pytest.approx(ref["delta"] * m * n * s * 0.01)
    assert e.dollar_gamma == pytest.approx(ref["gamma"] * m * n * (0.01 * s) ** 2)
    assert e.dollar_vega == pytest.approx(ref["vega"] * m * n * 0.01)
    assert e.dollar_theta == pytest.approx(ref["theta"] / 365 * m * n)
    assert e.beta_weighted_dollar_delta == pytest.approx(e.dollar_delta)
    # a short put is long delta, short gamma and vega, and earns theta
    assert e.delta_units > 0 and e.dollar_gamma < 0 and e.dollar_vega < 0 and e.dollar_theta > 0
    assert e.value < 0


def test_one_percent_move_is_approximated_by_delta_and_gamma():
    book = portfolio_greeks([SPY_PUT])
    up = portfolio_greeks([OptionLeg(**{**SPY_PUT.__dict__, "underlying_price": 450.0 * 1.01})])
    pnl = up.total.value - book.total.value
    approx = book.total.dollar_delta + 0.5 * book.total.dollar_gamma
    assert pnl == pytest.approx(approx, rel=1e-2)  # third-order terms remain
    assert abs(pnl - approx) < 0.2 * abs(pnl - book.total.dollar_delta)  # gamma term explains the rest


def test_futures_options_default_to_black76_and_mix_with_equity_legs():
    book = portfolio_greeks([SPY_PUT, ES_CALL, CL_PUT])
    es, cl = book.positions[1], book.positions[2]
    assert es.model == "black76" and cl.model == "black76"
    ref = black76_price_and_greeks("call", 5000.0, 5200.0, 30 / 365, 0.05, 0.16)
    assert es.price == pytest.approx(ref["price"])
    assert es.exposure.delta_units == pytest.approx(ref["delta"] * 50.0)
    assert cl.exposure.dollar_vega == pytest.approx(cl.vega * 1000.0 * -1 * 0.01)
    # the order of positions is the order of the legs, whatever the model grouping
    assert [p.leg for p in book.positions] == [SPY_PUT, ES_CALL, CL_PUT]


def test_totals_are_sums_and_beta_weighting():
    book = portfolio_greeks([SPY_PUT, ES_CALL, CL_PUT])
    for name in ("value", "delta_units", "dollar_delta", "dollar_gamma", "dollar_vega", "dollar_theta",
                 "beta_weighted_dollar_delta"):
        parts = [getattr(p.exposure, name) for p in book.positions]
        assert getattr(book.total, name) == pytest.approx(sum(parts))
    cl = book.positions[2]
    assert cl.exposure.beta_weighted_dollar_delta == pytest.approx(0.3 * cl.exposure.dollar_delta)
    expected = sum(p.delta * p.multiplier * p.leg.quantity * p.leg.underlying_price * p.leg.beta * 0.01
                   for p in book.positions)
    assert book.total.beta_weighted_dollar_delta == pytest.approx(expected)
    spy_price = 450.0
    assert book.spy_equivalent_shares(spy_price) == pytest.approx(expected / (0.01 * spy_price))
    by_root = book.by_root()
    assert set(by_root) == {"SPY", "ES", "CL"}
    assert by_root["ES"] == book.positions[1].exposure


def test_spy_shares_of_a_spy_position_equal_its_delta_units():
    book = portfolio_greeks([SPY_PUT])
    assert book.spy_equivalent_shares(450.0) == pytest.approx(book.total.delta_units)
    with pytest.raises(ValueError, match="spy_price"):
        book.spy_equivalent_shares(0.0)


def test_explicit_model_overrides_the_product_table():
    leg = OptionLeg(root="SPY", right="call", strike=450.0, T=0.1, quantity=1, underlying_price=452.0,
                    sigma=0.2, r=0.05, model="black76")
    pos = portfolio_greeks([leg]).positions[0]
    assert pos.model == "black76"
    assert pos.price == pytest.approx(black76_price_and_greeks("call", 452.0, 450.0, 0.1, 0.05, 0.2)["price"])


def test_expired_legs_contribute_intrinsic_value_and_no_theta():
    leg = OptionLeg(root="SPY", right="call", strike=440.0, T=0.0, quantity=3, underlying_price=450.0,
                    sigma=0.2)
    e = portfolio_greeks([leg]).total
    assert e.value == pytest.approx(10.0 * 100 * 3)
    assert e.delta_units == pytest.approx(300.0)
    assert e.dollar_theta == 0.0 and e.dollar_gamma == 0.0 and e.dollar_vega == 0.0


def test_empty_portfolio_has_zero_totals():
    book = portfolio_greeks([])
    assert isinstance(book, PortfolioGreeks)
    assert book.positions == ()
    assert book.total == GreekExposure()
    assert GreekExposure.total([]) == GreekExposure()


def test_unknown_root_and_bad_legs_raise():
    with pytest.raises(ValueError, match="leg 0: .*XYZ"):
        portfolio_greeks([OptionLeg(root="XYZ", right="call", strike=1.0, T=0.1, quantity=1,
                                    underlying_price=1.0, sigma=0.2)])
    with pytest.raises(TypeError, match="leg 1"):
        portfolio_greeks([SPY_PUT, "not a leg"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="leg 0: q must be 0"):
        portfolio_greeks([OptionLeg(root="ES", right="call", strike=5000.0, T=0.1, quantity=1,
                                    underlying_price=5000.0, sigma=0.2, q=0.01)])


@pytest.mark.parametrize(("field", "value", "message"), [
    ("right", "straddle", "right"),
    ("strike", 0.0, "strike must be > 0"),
    ("underlying_price", -1.0, "underlying_price must be > 0"),
    ("sigma", 0.0, "sigma must be > 0"),
    ("T", -0.1, "T must be >= 0"),
    ("quantity", math.nan, "quantity must be a finite number"),
    ("beta", "high", "beta must be a finite number"),
    ("model", "heston", "model must be one of"),
    ("root", "", "root must be a product root"),
])
def test_option_leg_validation(field, value, message):
    kwargs = {**SPY_PUT.__dict__, field: value}
    with pytest.raises(ValueError, match=message):
        OptionLeg(**kwargs)
