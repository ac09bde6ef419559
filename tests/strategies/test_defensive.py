"""Defensive helpers: DTE exit, deltas from the chain, tested/untested split, the roll guard, LEAP drawdown rules."""
from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from config.loader import load_config
from core.types import CALL, PUT, Contract, ContractKind, Leg
from strategies.defensive import (
    LeapDefence,
    contract_deltas,
    days_to_expiry,
    dte_exit_due,
    leap_defence,
    leap_drawdown,
    roll_allowed,
    short_contracts,
    shorts_at_delta,
    split_tested,
)
from tests.strategies.kit import context, eastern, filled_position, scripted_market

EXPIRY = date(2024, 11, 15)


def option(strike: float, right: str, expiry: date = EXPIRY, root: str = "MES") -> Contract:
    return Contract(root, ContractKind.OPTION, expiry, strike, right)


PUT_4150, CALL_5950 = option(4150.0, PUT), option(5950.0, CALL)


def _strangle_position():
    ctx = context(scripted_market(eastern(2024, 8, 13, 10, 0), spy=530.0, vix=22.0))
    legs = (Leg(PUT_4150, -1), Leg(CALL_5950, -1))
    return ctx, filled_position("futures_strangle", legs, -30.0, 2, ctx)


def test_days_to_expiry_and_exit_dte():
    _, position = _strangle_position()
    assert days_to_expiry(position, date(2024, 10, 25)) == 21
    assert dte_exit_due(position, date(2024, 10, 25), 21)
    assert not dte_exit_due(position, date(2024, 10, 24), 21)
    shares = filled_position("ipmcc", (Leg(Contract("SPY", ContractKind.EQUITY), 1),), 530.0, 100,
                             context(scripted_market(eastern(2024, 8, 16, 9, 45))))
    assert days_to_expiry(shares, date(2024, 8, 16)) is None and not dte_exit_due(shares, date(2024, 8, 16), 21)


def test_short_contracts_and_their_deltas_equal_the_chain_rows():
    ctx, position = _strangle_position()
    assert set(short_contracts(position)) == {PUT_4150, CALL_5950}
    assert short_contracts(position, PUT) == [PUT_4150]
    deltas = contract_deltas(ctx, short_contracts(position))
    chain = ctx.market.chain("MES", 94, 94)
    for contract in (PUT_4150, CALL_5950):
        row = np.flatnonzero((chain.strikes == contract.strike) & (chain.is_call == (contract.right == CALL)))[0]
        assert deltas[contract.key] == chain.delta[row]
    assert deltas[PUT_4150.key] < 0 < deltas[CALL_5950.key]
    assert contract_deltas(ctx, [option(40.0, PUT, root="GLD")]) == {}  # no GLD price: left out


@pytest.mark.parametrize(("put_delta", "call_delta", "expected"), [
    (-0.21, 0.02, (PUT_4150, CALL_5950)),
    (-0.03, 0.26, (CALL_5950, PUT_4150)),
    (-0.10, 0.10, (PUT_4150, CALL_5950)),  # a tie counts the put as tested
])
def test_tested_side_is_the_larger_delta(put_delta, call_delta, expected):
    deltas = {PUT_4150.key: put_delta, CALL_5950.key: call_delta}
    assert split_tested([PUT_4150, CALL_5950], deltas) == expected


def test_split_tested_needs_one_put_one_call_with_deltas():
    assert split_tested([PUT_4150], {PUT_4150.key: -0.3}) is None
    assert split_tested([PUT_4150, CALL_5950], {PUT_4150.key: -0.3}) is None
    other_put = option(4000.0, PUT)
    assert split_tested([PUT_4150, other_put], {PUT_4150.key: -0.3, other_put.key: -0.2}) is None


def test_shorts_at_delta_uses_absolute_delta_and_includes_the_threshold():
    deltas = {PUT_4150.key: -0.25, CALL_5950.key: 0.249}
    assert shorts_at_delta([PUT_4150, CALL_5950], deltas, 0.25) == [PUT_4150]
    assert shorts_at_delta([PUT_4150, CALL_5950], deltas, 0.30) == []
    assert shorts_at_delta([PUT_4150, CALL_5950], {}, 0.01) == []


@pytest.mark.parametrize(("old", "new", "tested", "allowed"), [
    (PUT_4150, option(4300.0, PUT), False, True),  # untested put rolled up, same expiry
    (CALL_5950, option(5600.0, CALL), False, True),  # untested call rolled down, same expiry
    (PUT_4150, option(4300.0, PUT), True, False),  # a tested (losing) short is never rolled
    (PUT_4150, option(4150.0, PUT, date(2024, 12, 20)), False, False),  # never out in time
    (PUT_4150, option(4300.0, PUT, date(2024, 12, 20)), False, False),
    (PUT_4150, option(4000.0, PUT), False, False),  # further away: no credit
    (CALL_5950, option(6000.0, CALL), False, False),
    (PUT_4150, option(4300.0, CALL), False, False),  # another right
    (PUT_4150, option(4300.0, PUT, root="ES"), False, False),
    (PUT_4150, Contract("MES", ContractKind.FUTURE, EXPIRY), False, False),
])
def test_roll_guard(old, new, tested, allowed):
    assert roll_allowed(old, new, old_is_tested=tested) is allowed


def test_leap_drawdown_fraction_and_bad_inputs():
    assert leap_drawdown(100.0, 80.0) == pytest.approx(0.20)
    assert leap_drawdown(100.0, 125.0) == 0.0
    assert leap_drawdown(1.0, 0.0) == 1.0
    for cost, value in ((0.0, 10.0), (-1.0, 10.0), (float("nan"), 10.0), (10.0, -1.0), (10.0, float("inf"))):
        with pytest.raises(ValueError, match="LEAP"):
            leap_drawdown(cost, value)


@pytest.mark.parametrize(("drawdown", "expected"), [
    (0.0, LeapDefence(False, 0, False)),
    (0.0999, LeapDefence(False, 0, False)),
    (0.10, LeapDefence(False, 1, False)),
    (0.1999, LeapDefence(False, 1, False)),
    (0.20, LeapDefence(False, 1, True)),
    (0.2999, LeapDefence(False, 1, True)),
    (0.30, LeapDefence(True, 1, True)),
    (0.75, LeapDefence(True, 1, True)),
])
def test_leap_defence_tiers(drawdown, expected):
    assert leap_defence(drawdown, load_config().ipmcc) == expected


def test_leap_defence_follows_the_parameters_and_refuses_bad_drawdowns():
    params = load_config({"ipmcc_deeper_itm_drawdown": 0.05, "ipmcc_below_strike_drawdown": 0.08,
                          "ipmcc_leap_stop": 0.12}).ipmcc
    assert leap_defence(0.06, params) == LeapDefence(False, 1, False)
    assert leap_defence(0.12, params) == LeapDefence(True, 1, True)
    for bad in (-0.01, float("nan")):
        with pytest.raises(ValueError, match="drawdown"):
            leap_defence(bad, params)
