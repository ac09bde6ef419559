"""The rule audit: each check finds the case the trade log once showed, and passes the rule-abiding one."""
from __future__ import annotations

import pytest

from config.loader import load_config
from offline.report.rule_audit import CHECKS, audit_run

CONFIG = load_config()


def row(strategy: str, legs: str, entry_price: float = -1.0, exit_reason: str = "profit_target",
        product: str = "SPY", gross: float = 0.0, entries: str = "", exits: str = "") -> dict:
    return {"strategy": strategy, "position_id": "P1", "product": product, "legs": legs,
            "entry_time": "2021-04-07T10:45:00-04:00", "entry_price": entry_price, "exit_reason": exit_reason,
            "gross_pnl": gross, "leg_entry_prices": entries, "leg_exit_prices": exits}


BWB = "-2 SPY 2021-04-23 P 400 | +1 SPY 2021-04-23 P 405 | +1 SPY 2021-04-23 P 390"
CONDOR = "+1 SPY 2015-09-11 P 180 | -1 SPY 2015-09-11 P 188 | -1 SPY 2015-09-11 C 200 | +1 SPY 2015-09-11 C 210"
BOX = ("-1 SPX 2022-05-20 C 2600 | +1 SPX 2022-05-20 C 3100 | -1 SPX 2022-05-20 P 3100 | "
       "+1 SPX 2022-05-20 P 2600")


@pytest.mark.parametrize(("trade", "check", "found"), [
    (row("broken_wing_butterfly", BWB, -0.23, entries="1 | 1 | 1", exits="1 | 1 | 1"), "price_bound",
     "credit 0.23 below 0.25"),
    (row("broken_wing_butterfly", BWB, -0.25, entries="1 | 1 | 1", exits="1 | 1 | 1"), "price_bound", None),
    (row("put_ratio_spread", "+1 SPY 2021-05-21 P 400 | -2 SPY 2021-05-21 P 390", -1.99), "price_bound",
     "credit 1.99 below 2"),
    # 500 wide, 408 days: the credit at 2.00% is 500 / 1.02 ^ (408 / 365) = 489.06
    (row("box_spread", BOX, -488.0, product="SPX"), "price_bound", "implied rate 2.1970% not below 2.00%"),
    (row("box_spread", BOX, -490.0, product="SPX"), "price_bound", None),
    (row("lt112", "+1 MES 2023-06-16 P 3695 | -1 MES 2023-06-16 P 3645 | -2 MES 2023-06-16 P 3500", 0.25),
     "price_bound", "a debit of 0.25, not a credit"),
    (row("jade_lizard", "-1 SPY 2021-05-21 P 380 | -1 SPY 2021-05-21 C 420 | +1 SPY 2021-05-21 C 423", -2.9),
     "price_bound", "credit 2.9 below the call width 3"),
    (row("friday_0dte", CONDOR), "width", "put widths 8"),
    (row("friday_0dte", CONDOR.replace("P 180", "P 178")), "width", None),  # both wings 10
    (row("friday_0dte", CONDOR.replace("P 180", "P 178").replace("C 210", "C 209")), "width", "call widths 9"),
    (row("vix_spike", "+1 SPY 2015-10-16 P 170 | -1 SPY 2015-10-16 P 173"), "width", "put widths 3"),
    (row("broken_wing_butterfly", BWB), "width", None),  # wings 10 below and 5 above
    (row("weekly_butterfly", "-2 SPXW 2015-01-09 C 2070 | +1 SPXW 2015-01-09 C 2060 | +1 SPXW 2015-01-09 C 2080",
         product="SPXW"), "width", None),
    (row("weekly_butterfly", BWB, exit_reason="profit_target"), "exit", "exit profit_target"),
    (row("weekly_butterfly", BWB, exit_reason="cash_settlement"), "exit", None),
    (row("lt112", BWB, exit_reason="drawdown_liquidation"), "exit", None),
    # (+1)(0 - 1) + (-1)(0.5 - 2) + (-1)(0.2 - 2) + (+1)(0 - 1) = 1.30 per share, $130
    (row("friday_0dte", CONDOR, gross=130.0, entries="1 | 2 | 2 | 1", exits="0 | 0.5 | 0.2 | 0"), "pnl_row",
     None),
    (row("friday_0dte", CONDOR, gross=23.0, entries="1 | 2 | 2 | 1", exits="0 | 0.5 | 0.2 | 0"), "pnl_row",
     "legs give 130.00, row says 23.00"),  # a row listing only what its first order did
    (row("lt112", BWB, gross=100.0), "pnl_row", "per-leg prices missing"),
])
def test_each_trade_row_check(trade, check, found):
    problems = audit_run([trade], [], CONFIG)
    assert set(problems) == set(CHECKS)
    if found is None:
        assert problems[check] == []
    else:
        assert len(problems[check]) == 1 and found in problems[check][0]


def record(time: str, kind: str, message: str, strategy: str = "lt112", **data) -> dict:
    return {"time": time, "kind": kind, "strategy": strategy, "message": message, **data}


def order(time: str, message: str, legs: list[str], strategy: str = "lt112") -> dict:
    return record(time, "order", message, strategy, order_id="O1", position_id="P1", legs=legs)


@pytest.mark.parametrize(("records", "check", "found"), [
    ([order("2024-05-01T15:55:00-04:00", "close order: stop_loss", ["+1 SPY 2024-06-21 P 500"]),
      record("2024-05-02T09:30:00-04:00", "fill", "close fill: stop_loss", position_id="P1")],
     "overnight", "sent 2024-05-01T15:55:00-04:00, filled 2024-05-02T09:30:00-04:00"),
    ([order("2024-05-01T15:55:00-04:00", "close order: stop_loss", ["+1 SPY 2024-06-21 P 500"]),
      record("2024-05-01T15:58:00-04:00", "fill", "close fill: stop_loss", position_id="P1")], "overnight", None),
    ([order("2024-08-16T15:26:00-04:00", "close order: stop_loss", ["+1 SPY 2024-08-16 P 500"])],
     "expiry_close", "close order: stop_loss"),
    ([order("2024-08-16T15:25:00-04:00", "close order: expiry_day_exit", ["+1 SPY 2024-08-16 P 500"])],
     "expiry_close", None),
    ([order("2024-08-15T15:50:00-04:00", "close order: stop_loss", ["+1 SPY 2024-08-16 P 500"])],
     "expiry_close", None),  # not its expiry day
    ([order("2016-05-20T10:06:00-04:00", "open order: IPMCC short call SPY 2016-05-27 C 205", [], "ipmcc")],
     "ipmcc_time", "10:06"),
    ([order("2016-05-20T09:46:00-04:00", "open order: IPMCC short call SPY 2016-05-27 C 205", [], "ipmcc")],
     "ipmcc_time", None),
    ([record("2024-06-21T16:00:00-04:00", "assignment", "expired_worthless: SPY 2024-06-21 P 290 x1",
             "leap_put_ladder")], "ladder_expiry", "SPY 2024-06-21 P 290 expired with no replacement"),
    ([order("2024-02-20T10:30:00-05:00", "open order: LEAP put rung SPY 2025-03-21 P 365 (roll replacement; "
            "SPY 2024-06-21 P 290, SPY 2024-06-21 P 295 left to expire: no bid), cost 600", [], "leap_put_ladder"),
      record("2024-06-21T16:00:00-04:00", "assignment", "expired_worthless: SPY 2024-06-21 P 290 x1",
             "leap_put_ladder")], "ladder_expiry", None),
])
def test_each_journal_check(records, check, found):
    problems = audit_run([], records, CONFIG)
    if found is None:
        assert problems[check] == []
    else:
        assert len(problems[check]) == 1 and found in problems[check][0]
