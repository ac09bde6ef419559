"""The broker's margin remembers each root's requirement for its exact inputs: any change of an
input must give what a fresh computation gives, and the futures options' volatilities, computed
only when estimate_margin reads them, must give what the eager computation of every one gives."""
from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from core.types import Contract, ContractKind
from offline.broker.account_margin import AccountMargin, margin_volatility
from risk.margin import estimate_margin
from tests.broker.fakes import T0, option

RATE = 0.05
SHORT_PUT, LONG_PUT = option("MES", 5300, "put"), option("MES", 5000, "put")
SHORT_CALL, NEW_CALL = option("MES", 5700, "call"), option("MES", 5800, "call")
SPY_PUT, SHARES = option("SPY", 500, "put"), Contract("SPY", ContractKind.EQUITY)


def _inputs() -> dict[str, Any]:
    holdings = {c.key: (c, q) for c, q in ((SHORT_PUT, -2), (LONG_PUT, 1), (SHORT_CALL, -1), (SPY_PUT, -1),
                                            (SHARES, 100))}
    marks = {SHORT_PUT.key: 41.0, LONG_PUT.key: 12.5, SHORT_CALL.key: 18.25, SPY_PUT.key: 4.1, SHARES.key: 521.0}
    return {"holdings": holdings, "underlying_prices": {"MES": 5500.0, "SPY": 521.0}, "marks": marks,
            "now": T0, "rate": RATE}


CHANGES: dict[str, Callable[[dict[str, Any]], None]] = {
    "a mark": lambda i: i["marks"].__setitem__(SHORT_PUT.key, 55.0),
    "a new holding": lambda i: (i["holdings"].__setitem__(NEW_CALL.key, (NEW_CALL, -1)),
                                i["marks"].__setitem__(NEW_CALL.key, 9.0)),
    "the underlying price": lambda i: i["underlying_prices"].__setitem__("MES", 5350.0),
    "a quantity": lambda i: i["holdings"].__setitem__(SHORT_PUT.key, (SHORT_PUT, -3)),
    "a holding gone": lambda i: i["holdings"].pop(LONG_PUT.key),
    "the date": lambda i: i.__setitem__("now", T0 + timedelta(days=9)),
    "the rate": lambda i: i.__setitem__("rate", 0.01),
    "the order of the lines": lambda i: i.__setitem__("holdings", dict(reversed(i["holdings"].items()))),
    "the SPY root": lambda i: i["underlying_prices"].__setitem__("SPY", 480.0),
}


@pytest.mark.parametrize("name", CHANGES)
def test_a_changed_input_gives_the_fresh_margin(name):
    margin, inputs = AccountMargin(), _inputs()
    first = margin(**inputs)
    assert margin(**inputs) == first == AccountMargin()(**inputs)
    CHANGES[name](inputs)
    assert margin(**inputs) == AccountMargin()(**inputs)
    if name != "the order of the lines":
        assert margin(**inputs) != first, name  # each change above moves the margin


def test_volatilities_read_when_needed_give_the_eager_margin():
    inputs = _inputs()
    lines = [(c, q) for c, q in inputs["holdings"].values() if c.root == "MES"]
    prices = {c.key: inputs["marks"][c.key] for c, _ in lines}
    vols = {c.key: margin_volatility(c, prices[c.key], 5500.0, T0, RATE) for c, _ in lines}
    spy = [(c, q) for c, q in inputs["holdings"].values() if c.root == "SPY"]
    eager = (estimate_margin(lines, 5500.0, prices, vols, T0, rate=RATE)
             + estimate_margin(spy, 521.0, {SPY_PUT.key: 4.1}, {}, T0, rate=RATE))
    assert AccountMargin()(**inputs) == eager
    assert math.isfinite(eager) and eager > 0


def test_a_root_without_a_price_is_an_error():
    inputs = _inputs()
    del inputs["underlying_prices"]["MES"]
    with pytest.raises(ValueError, match="no price of MES"):
        AccountMargin()(**inputs)
