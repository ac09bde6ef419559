"""Quotes priced ahead for a session (one vectorised call) are exactly the quotes of each minute."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from core.types import Contract, ContractKind
from helpers.exchange_calendar import EASTERN
from offline.market.market_view import MarketState, ModelledMarketView

OPEN = datetime(2024, 8, 5, 9, 30, tzinfo=EASTERN)
HELD = [Contract("SPY", ContractKind.OPTION, date(2024, 8, 16), 520.0, "put"),
        Contract("SPY", ContractKind.OPTION, date(2025, 12, 19), 430.0, "put"),
        Contract("SPY", ContractKind.OPTION, date(2024, 8, 5), 525.0, "call"),
        Contract("MES", ContractKind.OPTION, date(2024, 9, 20), 5000.0, "put"),
        Contract("SPY", ContractKind.EQUITY)]


def _state() -> MarketState:
    return MarketState(now=OPEN, prices={"SPY": 517.0, "MES": 5200.0}, vix=38.0, vix_time=OPEN, rate=0.052,
                       dividend_yields={"SPY": 0.013})


def test_prices_ahead_equal_the_prices_of_each_minute():
    ahead = ModelledMarketView(_state())
    steps = [(OPEN + timedelta(minutes=m), {"SPY": 517.0 + 0.37 * m, "MES": 5200.0 - 1.25 * m}, 38.0 - 0.05 * m)
             for m in range(0, 390, 5)]
    ahead.prefetch_ahead(HELD, steps)
    for now, prices, vix in steps:
        fresh = ModelledMarketView(_state())
        for view in (ahead, fresh):
            view.state.now, view.state.vix = now, vix
            view.state.prices.update(prices)
        assert [ahead.quote(c) for c in HELD] == [fresh.quote(c) for c in HELD], now
    assert len(ahead._quotes) == 4 * len(steps)  # every later call above was a cache hit


def test_a_step_without_a_vix_is_not_priced():
    view = ModelledMarketView(_state())
    view.prefetch_ahead(HELD[:1], [(OPEN, {"SPY": 517.0}, None)])
    assert view._quotes == {}


def _counting(view: ModelledMarketView) -> list[int]:
    """Rows priced by each model call of `view` from now on."""
    rows: list[int] = []
    quote = view.model.quote

    def counted(root, as_of, *args, **kwargs):
        priced = quote(root, as_of, *args, **kwargs)
        rows.append(len(priced.bid))
        return priced

    view.model.quote = counted  # type: ignore[method-assign]
    return rows


def test_a_later_call_prices_only_what_earlier_calls_did_not():
    view = ModelledMarketView(_state())
    steps = [(OPEN + timedelta(minutes=m), {"SPY": 517.0 + 0.37 * m, "MES": 5200.0}, 38.0) for m in range(0, 390, 5)]
    view.prefetch_ahead(HELD[:2], steps)
    rows = _counting(view)
    view.prefetch_ahead(HELD[:3], steps[10:])  # one more SPY option, later in the session
    assert rows == [len(steps[10:])]
    moved = [(now, {**prices, "SPY": prices["SPY"] + 1.0}, vix) for now, prices, vix in steps[20:]]
    view.prefetch_ahead(HELD[:3], moved)  # other prices: everything again
    assert rows == [len(steps[10:]), 3 * len(moved)]
    view.prefetch_ahead(HELD[:3], moved)
    assert len(rows) == 2
    for now, prices, vix in moved:
        fresh = ModelledMarketView(_state())
        for market in (view, fresh):
            market.state.now, market.state.vix = now, vix
            market.state.prices.update(prices)
        assert [view.quote(c) for c in HELD[:3]] == [fresh.quote(c) for c in HELD[:3]], now
    assert len(rows) == 2  # every quote above was read from the rows priced ahead
