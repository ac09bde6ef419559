"""The market view remembers inputs and quotes for the market it last saw: every change of the state,
in place or by assignment, must give the quotes a fresh model would give."""
from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, timedelta

import pytest

from core.types import Contract, ContractKind
from offline.market.market_view import MarketState, ModelledMarketView
from tests.offline.test_prefetch_ahead import HELD as SPY_AND_MES
from tests.offline.test_prefetch_ahead import OPEN

HELD = [*SPY_AND_MES, Contract("QQQ", ContractKind.OPTION, date(2024, 9, 20), 440.0, "put")]  # QQQ: no VIX


def _state() -> MarketState:
    return MarketState(now=OPEN, prices={"SPY": 517.0, "MES": 5200.0, "QQQ": 450.0}, vix=38.0, vix_time=OPEN,
                       rate=0.052, dividend_yields={"SPY": 0.013}, vol_index={"QQQ": 0.2})


def _fresh_quotes(state: MarketState) -> list:
    twin = MarketState(now=state.now, prices=dict(state.prices), vix=state.vix, vix_time=state.vix_time,
                       rate=state.rate, dividend_yields=dict(state.dividend_yields),
                       vol_index=dict(state.vol_index), term=state.term)
    return [ModelledMarketView(twin).quote(c) for c in HELD]


CHANGES: dict[str, Callable[[MarketState], None]] = {
    "price set": lambda s: s.prices.__setitem__("SPY", 530.0),
    "prices updated": lambda s: s.prices.update({"SPY": 505.0, "MES": 5100.0}),
    "prices merged": lambda s: s.prices.__ior__({"MES": 5300.0}),
    "price deleted": lambda s: s.prices.__delitem__("SPY"),
    "price popped": lambda s: s.prices.pop("MES"),
    "prices cleared": lambda s: s.prices.clear(),
    "prices replaced": lambda s: setattr(s, "prices", {"SPY": 490.0, "MES": 5000.0}),
    "a later day": lambda s: setattr(s, "now", s.now + timedelta(days=3)),
    "vix": lambda s: setattr(s, "vix", 21.0),
    "rate": lambda s: setattr(s, "rate", 0.01),
    "dividend yield": lambda s: s.dividend_yields.__setitem__("SPY", 0.05),
    "dividend yields replaced": lambda s: setattr(s, "dividend_yields", {}),
    "dividend yield added": lambda s: s.dividend_yields.setdefault("QQQ", 0.04),
    "vol index set": lambda s: s.vol_index.__setitem__("QQQ", 0.3),
    "vol index removed": lambda s: s.vol_index.popitem(),
}


@pytest.mark.parametrize("name", CHANGES)
def test_a_state_change_gives_the_quotes_of_the_new_state(name):
    view = ModelledMarketView(_state())
    before = [view.quote(c) for c in HELD]
    assert before == [view.quote(c) for c in HELD]  # asked twice in one state: the same
    CHANGES[name](view.state)
    after = [view.quote(c) for c in HELD]
    assert after == _fresh_quotes(view.state)
    assert after != before, name  # every change above moves at least one quote


def test_a_view_over_a_replaced_state_prices_the_new_state():
    view = ModelledMarketView(_state())
    spy = view.quote(HELD[0])
    view.state = _state()
    view.state.prices["SPY"] = 540.0
    assert view.quote(HELD[0]) != spy and view.quote(HELD[0]) == _fresh_quotes(view.state)[0]


def test_a_dictionary_assigned_to_a_state_is_copied():
    first, second = _state(), _state()
    second.prices = first.prices
    first.prices["SPY"] = 1.0
    assert second.prices["SPY"] == 517.0 and second.prices is not first.prices


def test_the_state_dictionaries_are_not_copied_behind_its_back():
    with pytest.raises(TypeError, match="not copied"):
        copy.copy(_state().prices)
