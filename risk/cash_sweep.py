"""Cash sweep: the cash no position needs, above the buying-power reserve, earns the T-bill rate.

Used by the offline engine (interest accrued on the balance, DGS3MO) and by the LEAN side (the
same amount held in a T-bill ETF). Amounts in USD.

sweepable_cash = max(0, cash - margin in use - reserve x net liquidation)

- cash: every dollar the account holds, the credit received for short options and a short box
  spread's borrowed cash included (a broker pays interest on the whole balance), so a box
  spread's cost is its true net, the rate paid less the rate earned on what it raised;
- margin in use: the buying power the open positions hold;
- reserve: the fraction of net liquidation that new positions never use (risk_buying_power_reserve)
  stays in cash, so the sweep never takes away room the risk rules keep.
"""
from __future__ import annotations

import math

DAYS_PER_YEAR = 365.0  # DGS3MO is a bond-equivalent yield (actual/365)


def _finite(value: float, name: str) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)


def sweepable_cash(cash: float, net_liquidation: float, margin_used: float, reserve_fraction: float) -> float:
    """USD that the sweep may hold in T-bills (formula in the module docstring).

    Raises ValueError for a non-finite input or a reserve fraction outside [0, 1].
    """
    if not 0.0 <= reserve_fraction <= 1.0:
        raise ValueError(f"reserve_fraction must be in [0, 1], got {reserve_fraction!r}")
    cash, nlv = _finite(cash, "cash"), _finite(net_liquidation, "net_liquidation")
    margin = _finite(margin_used, "margin_used")
    return max(0.0, cash - margin - reserve_fraction * max(nlv, 0.0))


def accrued_interest(amount: float, continuous_rate: float, days: int) -> float:
    """Interest in USD earned by `amount` over `days` calendar days at a continuous annual rate
    (the loader's ln(1 + yield)), compounding: amount x (exp(rate x days / 365) - 1).

    Raises ValueError for a negative amount or day count, or non-finite inputs.
    """
    amount, rate = _finite(amount, "amount"), _finite(continuous_rate, "continuous_rate")
    if amount < 0.0 or days < 0:
        raise ValueError(f"amount and days must be >= 0, got {amount!r}, {days!r}")
    return amount * math.expm1(rate * days / DAYS_PER_YEAR)
