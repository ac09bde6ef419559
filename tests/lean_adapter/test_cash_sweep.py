"""The cash sweep on LEAN (fakes checked against the stubs): idle cash held in BIL at the session
start, sold first for an entry, never a core holding, its margin not buying power in use."""
from __future__ import annotations

import pytest

from core.types import PUT, Leg
from lean_adapter.broker import LeanBroker, entry_need
from lean_adapter.cash_sweep import LeanCashSweep
from tests.lean_adapter.test_broker_adapter import Harness, intent
from tests.lean_standin import scripted as f
from tests.lean_standin.scripted_algorithm import equity_symbol


class SweepHarness(Harness):
    def __init__(self) -> None:
        super().__init__()
        self.bil = equity_symbol("BIL")
        self.lean.subscribe("equity", self.bil, f.Equity(self.bil, 91.50))
        self.messages: list[str] = []
        self.sweep = LeanCashSweep(self, self.bil, 0.20, self.messages.append)
        self.broker = LeanBroker(self, self.symbols, self.tracker, self.relay, self.problems.append, self.sweep)
        self.lean.account.fee_per_contract = 0.0  # ETF trades are commission-free


    def orders(self) -> list[tuple[int, float, str]]:
        return [(t.quantity, self.lean.limits[t.order_id], t.tag) for t in self.lean.tickets.values()
                if t.symbol == self.bil]

    def fill_sweep_orders(self) -> None:
        """Fill the ETF orders (at their limit, as the fake fills) and count the ETF in the margin
        used at 50%, as LEAN does in a margin account."""
        for group in self.lean.open_groups():
            if group[0].symbol == self.bil:
                self.lean.fill(group)
        self.lean.margin_used = self.sweep.etf_value() / 2.0


@pytest.fixture
def h() -> SweepHarness:
    return SweepHarness()


def test_the_session_start_buys_whole_shares_of_the_idle_cash_with_a_marketable_limit(h):
    # $30,000 cash, nothing in use, 20% reserve: $24,000 idle -> 262 shares at $91.50
    assert h.sweep.rebalance() == 262
    assert h.orders() == [(262, 91.68, "cash sweep")]  # 91.50 + 0.2%
    assert "buy 262 BIL" in h.messages[0]


def test_once_held_a_small_difference_is_not_traded(h):
    h.sweep.rebalance()
    h.fill_sweep_orders()  # filled at 91.68: the account is $47 smaller, so the target is 261
    assert h.sweep.target_shares() == 261
    assert h.sweep.rebalance() == 0  # one share ($91.50) is under 1% of net liquidation
    assert len(h.orders()) == 1


def test_a_larger_difference_is_traded_back(h):
    h.sweep.rebalance()
    h.fill_sweep_orders()
    h.lean.margin_used += 3_000.0  # a position now holds $3,000 of margin
    assert h.sweep.rebalance() == -33  # 29,952.84 x 0.8 - 3,000 = 20,962 -> 229 shares
    assert h.orders()[-1] == (-33, 91.32, "cash sweep")


def test_the_etf_is_not_a_core_holding_and_its_margin_is_not_buying_power_in_use(h):
    h.sweep.rebalance()
    h.fill_sweep_orders()
    held = 262 * 91.50
    assert h.sweep.etf_value() == pytest.approx(held)
    h.lean.margin_used += 1_000.0
    assert h.broker.holdings() == {}
    assert h.broker.margin_used() == pytest.approx(1_000.0)
    assert h.broker.net_liquidation() == pytest.approx(30_000.0 - 262 * 0.18)


def test_an_entry_sells_what_the_free_cash_does_not_cover_before_its_order(h):
    h.sweep.rebalance()
    h.fill_sweep_orders()
    legs = (Leg(h.contract(520, PUT, 0.95, 0.98), -1), Leg(h.contract(510, PUT, 0.30, 0.32), 1))
    order = intent(legs, -0.60, quantity=2)
    need = entry_need(order)
    assert need == pytest.approx(1_000.0)  # margin 500 per unit, a credit costs nothing
    h.broker.submit(order)
    sold = [q for q, _, _ in h.orders() if q < 0]
    free = (30_000.0 - 262 * 91.68) - 0.20 * h.broker.net_liquidation()
    assert free < 0  # the reserve is short by a few dollars after the buy: the whole need is sold
    assert sold == [-11]  # ceil(1,000 / 91.50)
    assert h.orders()[-1][1] == pytest.approx(round(91.50 * 0.998, 2))


def test_a_debit_entry_needs_its_cost_and_closing_orders_sell_nothing(h):
    h.sweep.rebalance()
    h.fill_sweep_orders()
    leg = (Leg(h.contract(500, PUT, 6.20, 6.30), 1),)
    debit = intent(leg, 6.30)
    assert entry_need(debit) == pytest.approx(500.0 + 630.0)
    from core.types import Purpose
    before = len(h.orders())
    h.broker.submit(intent(leg, 6.30, purpose=Purpose.CLOSE))
    assert len(h.orders()) == before


def test_no_price_or_nothing_held_orders_nothing(h):
    assert h.sweep.make_room(5_000.0) == 0  # nothing held yet
    h.lean.securities[h.bil].price = 0.0
    assert h.sweep.target_shares() == 0 and h.sweep.rebalance() == 0
