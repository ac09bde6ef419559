"""The cash sweep's amount and interest (risk/cash_sweep.py) on hand-checked numbers."""
from __future__ import annotations

import math

import pytest

from risk.cash_sweep import accrued_interest, sweepable_cash


def test_idle_cash_is_what_is_left_after_margin_and_the_reserve():
    # $30,000 all cash, $3,000 margin in use, 20% reserve: 30,000 - 3,000 - 6,000
    assert sweepable_cash(30_000.0, 30_000.0, 3_000.0, 0.20) == pytest.approx(21_000.0)


def test_short_option_credit_is_swept_like_any_cash():
    # $1,000 credit received: cash 31,000, net liquidation 30,000 (the buy-back cost); the broker pays
    # interest on the whole balance: 31,000 - 0 margin - 6,000 reserve
    assert sweepable_cash(31_000.0, 30_000.0, 0.0, 0.20) == pytest.approx(25_000.0)


def test_a_short_box_spread_borrowed_cash_earns_so_its_cost_is_the_net_rate():
    # $150,000 account sells a 500-wide SPX box for $48,000 (about 4% a year for a year on $50,000):
    # cash 198,000, net liquidation 150,000 (the box's value is owed back), $2,000 margin held.
    # Every dollar earns: 198,000 - 2,000 - 30,000 reserve (was min(cash, net liq): the $48,000 idle)
    idle = sweepable_cash(198_000.0, 150_000.0, 2_000.0, 0.20)
    assert idle == pytest.approx(166_000.0)
    without_box = sweepable_cash(150_000.0, 150_000.0, 0.0, 0.20)
    rate = math.log1p(0.05)  # T-bills at 5%: the borrowed $48,000 earns 5% while the box costs 4%
    earned = accrued_interest(idle, rate, 365) - accrued_interest(without_box, rate, 365)
    assert earned == pytest.approx(48_000.0 * 0.05 - 2_000.0 * 0.05)


def test_a_paid_for_long_option_leaves_less_cash():
    # $5,000 paid for LEAPs: cash 25,000, net liquidation 30,000, no margin
    assert sweepable_cash(25_000.0, 30_000.0, 0.0, 0.20) == pytest.approx(19_000.0)


def test_never_negative():
    assert sweepable_cash(10_000.0, 30_000.0, 9_000.0, 0.20) == 0.0
    assert sweepable_cash(-500.0, 1_000.0, 0.0, 0.20) == 0.0


def test_interest_compounds_at_the_continuous_rate_over_calendar_days():
    rate = math.log1p(0.05)  # a 5% yield, stored as the loader stores it
    assert accrued_interest(10_000.0, rate, 365) == pytest.approx(500.0)
    assert accrued_interest(10_000.0, rate, 3) == pytest.approx(10_000.0 * (1.05 ** (3 / 365) - 1.0))
    assert accrued_interest(10_000.0, rate, 0) == 0.0


@pytest.mark.parametrize(("args", "text"), [
    ((30_000.0, 30_000.0, 0.0, 1.5), "reserve_fraction"),
    ((math.nan, 30_000.0, 0.0, 0.2), "cash"),
    ((30_000.0, math.inf, 0.0, 0.2), "net_liquidation"),
])
def test_bad_inputs_name_the_argument(args, text):
    with pytest.raises(ValueError, match=text):
        sweepable_cash(*args)


def test_negative_amount_or_days_is_an_error():
    with pytest.raises(ValueError, match="amount and days"):
        accrued_interest(-1.0, 0.05, 1)
    with pytest.raises(ValueError, match="amount and days"):
        accrued_interest(1.0, 0.05, -1)
