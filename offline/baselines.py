"""Baselines for side-by-side comparison (issue: offline engine, item 7).

- SPY buy and hold with dividends: reporting.statistics.buy_and_hold_baseline.
- A plain short put: each session's close, when flat, sell one 45-DTE (nearest listed) 16-delta SPY
  put at the modelled bid if its Reg-T margin fits the account; buy it back at the modelled ask
  at 50% of the credit or at 21 DTE. Option prices are modelled like everywhere offline.
- T-bills: all the cash in 3-month T-bills, earning the DGS3MO rate of each session's previous
  session for the calendar days between them, compounded (the rule of the engine's cash sweep,
  risk/cash_sweep.py, applied to the whole account).
"""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np

from core.types import PUT, Contract
from offline.chain_model import ChainModel
from offline.market_data import MarketData
from risk.cash_sweep import accrued_interest
from risk.margin import estimate_margin
from strategies.chain_tools import pick_expiry, row_by_delta

EASTERN = ZoneInfo("America/New_York")
OPEN_FEE = 1.00
MULTIPLIER = 100.0


def short_put_baseline(market: MarketData, dates: list[date], cash: float, target_dte: int = 45,
                       delta: float = 0.16, profit_target: float = 0.5, exit_dte: int = 21) -> np.ndarray:
    """Daily equity (USD) of the 45-DTE 16-delta short put baseline over `dates`."""
    model = ChainModel()
    spy, vix = market.daily["SPY"], market.vix
    equity = np.empty(len(dates))
    position: tuple[Contract, float] | None = None  # (contract, credit received per share)
    for i, day in enumerate(dates):
        stamp = np.datetime64(day, "D")
        spot = float(spy.close[np.searchsorted(spy.dates, stamp)])
        v_index = int(np.searchsorted(vix.dates, stamp))
        vol = float(vix.close[v_index]) / 100.0 if v_index < len(vix.dates) and vix.dates[v_index] == stamp else None
        when = datetime.combine(day, time(15, 59), tzinfo=EASTERN)
        rate = market.rate_on(day)
        if position is not None and vol is not None:
            contract, credit = position
            _, ask, _, _ = model.price_contract(contract, when, spot, vol, rate, 0.013)
            dte = (contract.expiry - day).days if contract.expiry else 0
            if ask <= (1.0 - profit_target) * credit or dte <= exit_dte:
                cash -= ask * MULTIPLIER
                position = None
        if position is None and vol is not None:
            position, cash = _open(model, when, spot, vol, rate, cash, target_dte, delta)
        equity[i] = cash + (_mark(model, position, when, spot, vol, rate) if position else 0.0)
    return equity


def _open(model: ChainModel, when: datetime, spot: float, vol: float, rate: float, cash: float, target_dte: int,
          delta: float) -> tuple[tuple[Contract, float] | None, float]:
    chain = model.snapshot("SPY", when, spot, vol, rate, 0.013, target_dte - 15, target_dte + 15)
    expiry = pick_expiry(chain, when.date(), target_dte, target_dte - 15, target_dte + 15)
    if expiry is None:
        return None, cash
    row = row_by_delta(chain, expiry, PUT, delta)
    if row is None or not chain.bid[row] > 0:
        return None, cash
    contract = chain.contract(row)
    margin = estimate_margin([(contract, -1)], spot, {contract.key: float(chain.mid[row])},
                             {contract.key: float(chain.iv[row])}, when.date())
    if margin > cash:
        return None, cash
    credit = float(chain.bid[row])
    return (contract, credit), cash + credit * MULTIPLIER - OPEN_FEE


def _mark(model: ChainModel, position: tuple[Contract, float] | None, when: datetime, spot: float,
          vol: float | None, rate: float) -> float:
    if position is None or vol is None:
        return 0.0
    bid, ask, _, _ = model.price_contract(position[0], when, spot, vol, rate, 0.013)
    return -(bid + ask) / 2.0 * MULTIPLIER


def t_bill_baseline(market: MarketData, dates: list[date], cash: float) -> np.ndarray:
    """Daily equity (USD) of `cash` held in 3-month T-bills over `dates` (see the module docstring)."""
    equity = np.empty(len(dates))
    value = float(cash)
    for index, day in enumerate(dates):
        if index:
            previous = dates[index - 1]
            value += accrued_interest(value, market.rate_on(previous), (day - previous).days)
        equity[index] = value
    return equity
