"""Margin estimates (SPEC section 8): hand-checked figures, validation and hypothesis properties."""
from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.types import Contract, ContractKind
from greeks.pricing import black76_price
from risk.margin import estimate_margin, max_loss_at_expiry

AS_OF = date(2024, 1, 2)
EXPIRY = date(2024, 2, 16)


def option(strike: float, right: str, root: str = "SPY", expiry: date = EXPIRY) -> Contract:
    return Contract(root, ContractKind.OPTION, expiry, strike, right)


def margin(lines: list[tuple[Contract, int, float]], spot: float, ivs: dict[str, float] | None = None) -> float:
    """estimate_margin of (contract, quantity, price) lines."""
    prices = {c.key: p for c, _, p in lines if c.kind == ContractKind.OPTION}
    return estimate_margin([(c, q) for c, q, _ in lines], spot, prices, ivs or {}, AS_OF)


def test_naked_spy_put_reg_t_example() -> None:
    # max(0.2 * 450 - 54, 0.1 * 396) = 39.6 -> 3,960 + premium 100
    assert margin([(option(396, "put"), -1, 1.00)], 450.0) == pytest.approx(4_060.0)


def test_naked_put_near_the_money_uses_twenty_percent_less_otm() -> None:
    # max(90 - 10, 44) = 80 -> 8,000 + 500; two contracts double it
    assert margin([(option(440, "put"), -1, 5.00)], 450.0) == pytest.approx(8_500.0)
    assert margin([(option(440, "put"), -2, 5.00)], 450.0) == pytest.approx(17_000.0)


def test_naked_calls_use_ten_percent_of_the_underlying_as_minimum() -> None:
    # 470 call: max(90 - 20, 45) = 70 -> 7,000 + 200; 520 call: max(90 - 70, 45) = 45 -> 4,500 + 10
    assert margin([(option(470, "call"), -1, 2.00)], 450.0) == pytest.approx(7_200.0)
    assert margin([(option(520, "call"), -1, 0.10)], 450.0) == pytest.approx(4_510.0)


def test_broad_based_index_uses_fifteen_percent() -> None:
    # SPX 4500, 4000 put at 5: max(675 - 500, 400) = 400 -> 40,000 + 500
    contract = option(4000, "put", root="SPX")
    assert margin([(contract, -1, 5.00)], 4_500.0) == pytest.approx(40_500.0)


def test_short_strangle_is_the_larger_side_plus_the_other_premium() -> None:
    # put side 4,060 (premium 100), call side 4,510 (premium 10) -> 4,510 + 100
    lines = [(option(396, "put"), -1, 1.00), (option(520, "call"), -1, 0.10)]
    assert margin(lines, 450.0) == pytest.approx(4_610.0)


def test_iron_condor_is_one_wing_minus_the_credit() -> None:
    # 10-wide wings, credit 1.25 - 0.50 + 1.00 - 0.25 = 1.50 -> 1,000 - 150
    lines = [(option(430, "put"), 1, 0.50), (option(440, "put"), -1, 1.25),
             (option(460, "call"), -1, 1.00), (option(470, "call"), 1, 0.25)]
    assert margin(lines, 450.0) == pytest.approx(850.0)
    holdings = [(c, q) for c, q, _ in lines]
    assert max_loss_at_expiry(holdings, 150.0) == pytest.approx(850.0)


def test_credit_and_debit_verticals() -> None:
    credit = [(option(440, "put"), -1, 2.00), (option(435, "put"), 1, 1.00)]
    assert margin(credit, 450.0) == pytest.approx(400.0)
    debit = [(option(460, "put"), 1, 10.00), (option(455, "put"), -1, 7.00)]
    assert margin(debit, 450.0) == pytest.approx(300.0)


def test_long_options_cost_their_premium() -> None:
    assert margin([(option(400, "put", expiry=date(2025, 1, 17)), 2, 5.00)], 450.0) == pytest.approx(1_000.0)


def test_lt112_is_debit_spread_plus_reg_t_on_the_naked_puts() -> None:
    # debit (5 - 4) x 100 = 100; the two 396 puts: 2 x 4,060
    lines = [(option(420, "put"), 1, 5.00), (option(415, "put"), -1, 4.00), (option(396, "put"), -2, 1.00)]
    assert margin(lines, 450.0) == pytest.approx(8_220.0)


def test_put_ratio_spread_leaves_the_furthest_put_naked() -> None:
    # long 440 at 6 covers one 430 at 3 (debit 300); the other 430 is naked: (max(90 - 20, 43) + 3) x 100 = 7,300
    lines = [(option(440, "put"), 1, 6.00), (option(430, "put"), -2, 3.00)]
    assert margin(lines, 450.0) == pytest.approx(7_600.0)


def test_shares_and_covered_calls() -> None:
    shares = Contract("SPY", ContractKind.EQUITY)
    assert margin([(shares, 100, 0.0)], 450.0) == pytest.approx(22_500.0)
    assert margin([(shares, 100, 0.0), (option(460, "call"), -1, 3.00)], 450.0) == pytest.approx(22_500.0)
    # 100 shares cover one call; the second is naked: max(90 - 10, 45) + 3 -> 8,300
    assert margin([(shares, 100, 0.0), (option(460, "call"), -2, 3.00)], 450.0) == pytest.approx(30_800.0)


def test_diagonal_ipmcc_is_its_debit() -> None:
    leap = option(380, "call", expiry=date(2025, 1, 17))
    weekly = option(450, "call", expiry=date(2024, 1, 5))
    assert margin([(leap, 1, 80.00), (weekly, -1, 3.00)], 450.0) == pytest.approx(7_700.0)
    # a long strike above the short adds the strike difference: (10 + 5 - 3) x 100
    high_leap = option(460, "call", expiry=date(2025, 1, 17))
    assert margin([(high_leap, 1, 5.00), (weekly, -1, 3.00)], 450.0) == pytest.approx(1_200.0)


def test_futures_use_a_span_like_move() -> None:
    assert margin([(Contract("MES", ContractKind.FUTURE, date(2024, 3, 15)), 1, 0.0)], 4_500.0) == \
        pytest.approx(0.12 * 4_500 * 5)
    assert margin([(Contract("CL", ContractKind.FUTURE, date(2024, 3, 19)), -2, 0.0)], 80.0) == \
        pytest.approx(2 * 0.15 * 80 * 1_000)


def test_naked_futures_put_is_the_down_move_with_higher_volatility() -> None:
    put = option(3_900, "put", root="MES", expiry=date(2024, 4, 1))
    years = (put.expiry - AS_OF).days / 365.0
    worst = black76_price("put", 4_500 * 0.88, 3_900, years, 0.04, 0.25 * 1.3) - \
        black76_price("put", 4_500, 3_900, years, 0.04, 0.25)
    assert margin([(put, -1, 10.0)], 4_500.0, {put.key: 0.25}) == pytest.approx(5 * worst)
    # about 1,000 USD for a 5-delta-ish /MES put three months out
    assert 800 < 5 * worst < 1_500


def test_futures_strangle_is_less_than_its_sides_added() -> None:
    put = option(3_900, "put", root="MES", expiry=date(2024, 4, 1))
    call = option(4_900, "call", root="MES", expiry=date(2024, 4, 1))
    ivs = {put.key: 0.25, call.key: 0.16}
    both = margin([(put, -1, 10.0), (call, -1, 8.0)], 4_500.0, ivs)
    put_only = margin([(put, -1, 10.0)], 4_500.0, ivs)
    call_only = margin([(call, -1, 8.0)], 4_500.0, ivs)
    assert max(put_only, call_only) * 0.9 < both < put_only + call_only


def test_validation_names_the_input() -> None:
    put = option(396, "put")
    with pytest.raises(ValueError, match=r"option_prices\[SPY 2024-02-16 P 396\]"):
        estimate_margin([(put, -1)], 450.0, {put.key: math.nan}, {}, AS_OF)
    with pytest.raises(ValueError, match="option_prices has no entry for SPY 2024-02-16 P 396"):
        estimate_margin([(put, -1)], 450.0, {}, {}, AS_OF)
    with pytest.raises(ValueError, match="underlying_price"):
        estimate_margin([(put, -1)], math.inf, {put.key: 1.0}, {}, AS_OF)
    with pytest.raises(ValueError, match="expired"):
        estimate_margin([(put, -1)], 450.0, {put.key: 1.0}, {}, datetime(2024, 3, 1, 10, 0))
    with pytest.raises(ValueError, match="one underlying root"):
        estimate_margin([(put, -1), (option(300, "put", "QQQ"), 1)], 450.0, {}, {}, AS_OF)
    with pytest.raises(TypeError, match="integer"):
        estimate_margin([(put, 1.5)], 450.0, {put.key: 1.0}, {}, AS_OF)
    mes_put = option(3_900, "put", root="MES")
    with pytest.raises(ValueError, match="implied_vols has no entry"):
        estimate_margin([(mes_put, -1)], 4_500.0, {mes_put.key: 5.0}, {}, AS_OF)


def test_empty_and_netted_holdings_need_nothing() -> None:
    put = option(396, "put")
    assert estimate_margin([], 450.0, {}, {}, AS_OF) == 0.0
    assert estimate_margin([(put, -1), (put, 1)], 450.0, {put.key: 1.0}, {}, AS_OF) == 0.0


def test_max_loss_at_expiry_cases() -> None:
    assert max_loss_at_expiry([(option(470, "call"), -1)], 200.0) == math.inf
    # naked put: the strike's value less the credit
    assert max_loss_at_expiry([(option(396, "put"), -1)], 100.0) == pytest.approx(39_500.0)
    assert max_loss_at_expiry([(option(470, "call"), 1)], -250.0) == pytest.approx(250.0)
    shares = Contract("SPY", ContractKind.EQUITY)
    assert max_loss_at_expiry([(shares, 100), (option(470, "call"), -1)], -45_000.0 + 300.0) == \
        pytest.approx(44_700.0)
    with pytest.raises(ValueError, match="futures"):
        max_loss_at_expiry([(Contract("MES", ContractKind.FUTURE, date(2024, 3, 15)), 1)], 0.0)
    with pytest.raises(ValueError, match="entry_cash"):
        max_loss_at_expiry([(option(470, "call"), 1)], math.nan)


# --- properties --------------------------------------------------------------------------------

STRIKES = st.integers(min_value=300, max_value=600).map(float)
PRICES = st.floats(min_value=0.0, max_value=40.0, allow_nan=False)


@st.composite
def defined_risk_structures(draw: st.DrawFn) -> list[tuple[Contract, int, float]]:
    """1-4 option lines of one expiry where, per right, shorts never outnumber longs."""
    lines: list[tuple[Contract, int, float]] = []
    for right in ("put", "call"):
        strikes = draw(st.lists(STRIKES, min_size=0, max_size=3, unique=True))
        longs = draw(st.integers(min_value=0, max_value=len(strikes)))
        long_qty = [draw(st.integers(1, 3)) for _ in range(longs)]
        room = sum(long_qty)
        for i, strike in enumerate(strikes):
            if i < longs:
                quantity = long_qty[i]
            elif room > 0:
                quantity = -draw(st.integers(1, room))
                room += quantity
            else:
                continue
            lines.append((option(strike, right), quantity, draw(PRICES)))
    return lines[:4] if _covered(lines[:4]) else []


def _covered(lines: list[tuple[Contract, int, float]]) -> bool:
    for right in ("put", "call"):
        quantities = [q for c, q, _ in lines if c.right == right]
        if sum(-q for q in quantities if q < 0) > sum(q for q in quantities if q > 0):
            return False
    return True


def _oracle_max_loss(lines: list[tuple[Contract, int, float]]) -> float:
    """Cost now minus the lowest value at expiry on a dense grid that includes every strike."""
    strikes = [float(c.strike or 0.0) for c, _, _ in lines]
    grid = np.unique(np.concatenate([np.linspace(0.0, 1_500.0, 3_001), np.array(strikes)]))
    value = np.zeros_like(grid)
    for contract, quantity, _ in lines:
        strike = float(contract.strike or 0.0)
        intrinsic = np.maximum(grid - strike, 0) if contract.right == "call" else np.maximum(strike - grid, 0)
        value += quantity * 100.0 * intrinsic
    cost = sum(q * p * 100.0 for _, q, p in lines)
    return max(0.0, cost - float(value.min()))


@settings(max_examples=1000, deadline=None)
@given(defined_risk_structures(), st.floats(min_value=250.0, max_value=700.0))
def test_defined_risk_margin_equals_max_loss(lines: list[tuple[Contract, int, float]], spot: float) -> None:
    estimate = margin(lines, spot)
    expected = _oracle_max_loss(lines)
    assert estimate >= 0.0
    assert estimate == pytest.approx(expected, rel=1e-9, abs=1e-6)
    cost = sum(q * p * 100.0 for _, q, p in lines)
    assert max_loss_at_expiry([(c, q) for c, q, _ in lines], -cost) == pytest.approx(expected, rel=1e-9, abs=1e-6)


@st.composite
def any_structures(draw: st.DrawFn) -> tuple[str, list[tuple[Contract, int, float]], dict[str, float]]:
    root = draw(st.sampled_from(["SPY", "SPX", "MES", "MCL"]))
    scale = {"SPY": 1.0, "SPX": 10.0, "MES": 10.0, "MCL": 0.2}[root]
    expiries = [date(2024, 1, 2), date(2024, 2, 16), date(2024, 6, 21), date(2025, 1, 17)]
    lines, ivs = [], {}
    for _ in range(draw(st.integers(1, 4))):
        contract = option(draw(STRIKES) * scale, draw(st.sampled_from(["put", "call"])), root,
                          draw(st.sampled_from(expiries)))
        lines.append((contract, draw(st.integers(-3, 3).filter(bool)), draw(PRICES) * scale))
        ivs[contract.key] = draw(st.floats(min_value=0.05, max_value=1.5))
    return root, lines, ivs


@settings(max_examples=1000, deadline=None)
@given(any_structures(), st.floats(min_value=250.0, max_value=700.0))
def test_margin_is_never_negative(case: tuple[str, list[tuple[Contract, int, float]], dict[str, float]],
                                  spot: float) -> None:
    root, lines, ivs = case
    scale = {"SPY": 1.0, "SPX": 10.0, "MES": 10.0, "MCL": 0.2}[root]
    value = margin(lines, spot * scale, ivs)
    assert math.isfinite(value) and value >= 0.0
