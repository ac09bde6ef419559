"""The MarketView on LEAN: chains with engine or our Greeks, missing data as None, daily bars."""
from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest

from core.types import CALL, PUT, Contract, ContractKind
from greeks.american import american_price, american_price_and_greeks
from greeks.pricing import implied_volatility
from helpers.exchange_calendar import EASTERN
from lean_adapter.daily_bars import DailyBarBook
from lean_adapter.market_view import LeanMarketView
from lean_adapter.subscriptions import Subscriptions
from lean_adapter.symbols import SymbolBook
from tests.lean_adapter.scenario import RATE, bsm_chain
from tests.lean_standin import scripted as f
from tests.lean_standin.scripted_algorithm import (
    FakeLean,
    QCAlgorithm,
    canonical_option,
    equity_symbol,
    index_symbol,
    option_symbol,
)

NOW = datetime(2024, 8, 2, 10, 30)
TODAY = NOW.date()


class Plain(QCAlgorithm):
    def on_order_event(self, order_event: f.OrderEvent) -> None:
        pass


def view_with_chain(engine_greeks: bool = True, sigma: float = 0.2) -> tuple[LeanMarketView, FakeLean, f.Symbol]:
    lean = FakeLean(start=NOW)
    algorithm = lean.attach(Plain())
    spy, vix = equity_symbol("SPY"), index_symbol("VIX")
    lean.subscribe("equity", spy, f.Equity(spy))
    lean.subscribe("index", vix, f.Index(vix))
    lean.set_price(spy, 535.0, 533.0)
    lean.set_price(vix, 18.0)
    canonical = canonical_option(spy, "SPY")
    contracts = bsm_chain(spy, "SPY", TODAY, 535.0, NOW, sigma, np.array([520.0, 535.0, 550.0]), engine_greeks)
    contracts += bsm_chain(spy, "SPY", date(2024, 11, 22), 535.0, NOW, sigma, np.array([470.0, 535.0]), engine_greeks)
    lean.set_chain(canonical, 535.0, contracts)
    subscriptions = Subscriptions({"SPY": spy, "VIX": vix}, vix, ("SPY",))
    view = LeanMarketView(algorithm, subscriptions, SymbolBook(), DailyBarBook(300))
    lean.slice = lean.current_slice()
    return view, lean, spy


def test_now_is_eastern_and_prices_come_from_securities() -> None:
    view, _, _ = view_with_chain()
    assert view.now() == datetime(2024, 8, 2, 10, 30, tzinfo=EASTERN)
    assert view.price("SPY") == 535.0
    assert view.price("QQQ") is None  # not subscribed: no decision, no error
    vix = view.vix()
    assert vix is not None and vix[0] == 18.0 and vix[1] == datetime(2024, 8, 2, 10, 30, tzinfo=EASTERN)
    view.record_session_open()
    assert view.session_open_price("SPY") == 533.0


def test_the_vix_time_stamp_is_read_in_its_exchange_time_zone() -> None:
    """LEAN stamps VIX data in Chicago time (market-hours database "Index-usa-VIX": exchange zone
    America/Chicago): a VIX bar ending 10:30 New York carries end_time 09:30. Read as New York it
    would be an hour old, so the regime would be stale all day and nothing would ever be entered."""
    view, lean, _ = view_with_chain()
    vix = view._subscriptions.vix
    last = lean.securities[vix].get_last_data()
    assert last.end_time == datetime(2024, 8, 2, 9, 30)  # Chicago, as LEAN gives it
    reading = view.vix()
    assert reading is not None and reading[1] == datetime(2024, 8, 2, 10, 30, tzinfo=EASTERN)
    assert (view.now() - reading[1]).total_seconds() == 0
    lean.time = datetime(2024, 12, 2, 15, 59)  # standard time: still one hour behind New York
    lean.set_price(vix, 14.0)
    assert lean.securities[vix].get_last_data().end_time == datetime(2024, 12, 2, 14, 59)
    assert view.vix() == (14.0, datetime(2024, 12, 2, 15, 59, tzinfo=EASTERN))


def test_chain_filters_by_dte_and_uses_the_engine_greeks() -> None:
    view, _, _ = view_with_chain()
    chain = view.chain("SPY", 0, 0)
    assert chain is not None and len(chain) == 6
    assert set(chain.listed_expiries()) == {TODAY}
    assert np.all(chain.iv == 0.2)
    call_535 = int(np.flatnonzero((chain.strikes == 535.0) & chain.is_call)[0])
    assert 0.45 < chain.delta[call_535] < 0.6
    later = view.chain("SPY", 100, 120)
    assert later is not None and len(later) == 4 and set(later.listed_expiries()) == {date(2024, 11, 22)}
    assert view.chain("SPY", 200, 700) is None  # no expiry in range: None, not an empty error
    assert view.chain("QQQ", 0, 700) is None


def test_missing_engine_greeks_are_computed_from_the_mid() -> None:
    view, _, _ = view_with_chain(engine_greeks=False, sigma=0.25)
    chain = view.chain("SPY", 100, 120)
    assert chain is not None
    put = int(np.flatnonzero((chain.strikes == 470.0) & ~chain.is_call)[0])
    # the mid is the BSM price rounded to the cent; SPY options are American, so the fill-in reads
    # it with the American model: a slightly lower volatility (the early-exercise premium) and
    # the American delta at that volatility
    assert chain.iv[put] == pytest.approx(0.25, abs=0.01)
    years = (datetime(2024, 11, 22, 16, 0) - NOW).total_seconds() / (365 * 86400)
    mid = float(chain.mid[put])
    european_iv = float(implied_volatility(mid, "put", 535.0, 470.0, years, np.log1p(RATE), 0.0))
    assert chain.iv[put] < european_iv
    assert float(american_price("put", 535.0, 470.0, years, np.log1p(RATE), 0.0, chain.iv[put])) == pytest.approx(
        mid, abs=1e-6)
    expected = float(american_price_and_greeks("put", 535.0, 470.0, years, np.log1p(RATE), 0.0,
                                               chain.iv[put])["delta"])
    assert chain.delta[put] == pytest.approx(expected, rel=1e-6)


def test_an_empty_or_missing_slice_is_no_decision() -> None:
    view, lean, _ = view_with_chain()
    lean.slice = None  # LEAN's current_slice before the first time step
    assert view.chain("SPY", 0, 0) is None
    lean.slice = f.Slice(NOW)
    lean.time = NOW.replace(minute=31)  # a new minute: the chain cache is not reused
    assert view.chain("SPY", 0, 0) is None and not view.has_chain("SPY")
    lean.slice = lean.current_slice()
    assert view.has_chain("SPY")


def test_held_contracts_join_the_chain_and_quotes_find_their_security() -> None:
    view, lean, spy = view_with_chain()
    chain = view.chain("SPY", 0, 0)
    assert chain is not None
    contract = chain.contract(0)
    quote = view.quote(contract)
    assert quote is not None and quote.valid and quote.ask > quote.bid
    # a held contract that the universe no longer lists still appears (with our Greeks)
    held = option_symbol(spy, "SPY", date(2024, 9, 20), 500.0, PUT)
    lean.securities._items[held] = f.Security(held, 4.0, 100.0)
    lean.securities[held].bid_price, lean.securities[held].ask_price = 3.9, 4.1
    lean.account.holdings[held] = f.SecurityHolding(held, -1)
    lean.time = NOW.replace(minute=31)  # holdings are read once a minute
    rows = view.chain("SPY", 40, 60)
    assert rows is not None and len(rows) == 1 and rows.strikes[0] == 500.0 and rows.delta[0] < 0
    assert view.quote(Contract("SPY", ContractKind.OPTION, date(2030, 1, 18), 400.0, CALL)) is None
    assert view.quote(Contract("SPY", ContractKind.EQUITY)).mid == 535.0


def test_daily_bars_hold_completed_sessions_only() -> None:
    view, _, _ = view_with_chain()
    book = view._bars
    for offset, close in enumerate((17.0, 16.0, 19.0)):
        book.add("VIX", date(2024, 7, 31 + offset) if offset == 0 else date(2024, 8, offset), close, close, close,
                 close)
    assert view.vix_previous_close() == 16.0  # 2024-08-02's own bar is not complete at 10:30
    bars = view.daily_bars("VIX", 5)
    assert bars is not None and list(bars.close) == [17.0, 16.0]
    assert book.add("VIX", date(2024, 8, 5), float("nan"), 1, 1, 1) is False
    with pytest.raises(ValueError, match="capacity"):
        DailyBarBook(0)


def test_book_keeps_capacity_and_replaces_a_repeated_date() -> None:
    book = DailyBarBook(3)
    for day in range(1, 6):
        book.add("SPY", date(2024, 1, day), 1, 2, 0.5, float(day))
    book.add("SPY", date(2024, 1, 5), 1, 2, 0.5, 50.0)
    bars = book.bars("SPY", 10, date(2024, 2, 1))
    assert bars is not None and list(bars.close) == [3.0, 4.0, 50.0] and book.count("SPY") == 3


def test_one_side_of_the_chain_is_the_whole_chain_filtered_by_right() -> None:
    view, _, _ = view_with_chain()
    whole = view.chain("SPY", 0, 200)
    calls, puts = view.chain("SPY", 0, 200, "call"), view.chain("SPY", 0, 200, "put")
    assert whole is not None and calls is not None and puts is not None
    assert calls.is_call.all() and not puts.is_call.any() and len(calls) + len(puts) == len(whole)
    np.testing.assert_array_equal(calls.strikes, whole.strikes[whole.is_call])


def test_one_contracts_delta_is_its_chain_rows_delta() -> None:
    view, _, _ = view_with_chain()
    whole = view.chain("SPY", 0, 200)
    assert whole is not None
    for expiry, strike, right in ((TODAY, 535.0, CALL), (date(2024, 11, 22), 470.0, PUT)):
        contract = Contract("SPY", ContractKind.OPTION, expiry, strike, right)
        row = int(np.flatnonzero((whole.expiries == np.datetime64(expiry, "D")) & (whole.strikes == strike)
                                 & (whole.is_call == (right == CALL)))[0])
        assert view.delta(contract) == whole.delta[row]
    assert view.delta(Contract("SPY", ContractKind.OPTION, TODAY, 600.0, CALL)) is None  # not listed, not held
    assert view.delta(Contract("QQQ", ContractKind.OPTION, TODAY, 450.0, CALL)) is None


def test_the_portfolio_is_scanned_once_a_minute_however_many_chains_are_asked_for() -> None:
    """LEAN's portfolio holds a holding for every security, each subscribed option contract
    included (SecurityPortfolioManager.cs:254,272-277): the view scans it once a minute."""
    view, lean, _ = view_with_chain()
    scans = []
    values = lean.portfolio.values
    lean.portfolio.values = lambda: scans.append(1) or values()  # type: ignore[method-assign]
    for low, high in ((0, 0), (0, 200), (100, 120), (40, 60)):
        view.chain("SPY", low, high)
    assert len(scans) == 1
    lean.time = NOW.replace(minute=31)
    view.chain("SPY", 0, 0)
    assert len(scans) == 2
