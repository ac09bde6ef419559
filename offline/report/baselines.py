"""Baselines for side-by-side comparison (summary.json "baselines", the report's equity chart).

- SPY buy and hold with dividends: reporting.statistics.buy_and_hold_baseline.
- A plain short put: each session's close, when flat, sell one 45-DTE (nearest listed) 16-delta SPY
  put at the modelled bid if its Reg-T margin fits the account; buy it back at the modelled ask
  at 50% of the credit or at 21 DTE. Its idle cash earns the T-bill rate exactly as the system's
  does (risk/cash_sweep.py: cash less the put's margin and the 20% reserve, at the previous
  session's DGS3MO rate). Option prices are modelled like everywhere offline.
- The CBOE strategy indices in the data folder's daily/ (PutWrite PUT, BuyWrite BXM, Iron Condor
  CNDR, 5% Put Protection PPUT): CBOE's published total-return index levels (T-bill collateral
  included), scaled to the starting cash, on the run's sessions. An index whose file does not cover
  the run's first and last session is left out, and the summary says why.
- T-bills: all the cash in 3-month T-bills, earning the DGS3MO rate of each session's previous
  session for the calendar days between them, compounded (the rule of the engine's cash sweep,
  risk/cash_sweep.py, applied to the whole account).
"""
from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from core.types import PUT, Contract
from offline.market.chain_model import ChainModel
from offline.market.market_data import MarketData
from risk.cash_sweep import accrued_interest, sweepable_cash
from risk.margin import estimate_margin
from strategies.chain_tools import pick_expiry, row_by_delta

EASTERN = ZoneInfo("America/New_York")
OPEN_FEE = 1.00
MULTIPLIER = 100.0
DIVIDEND_YIELD = 0.013  # SPY's, as a continuous annual fraction
CBOE_INDICES = {"cboe_put": "CBOE_PUT", "cboe_bxm": "CBOE_BXM", "cboe_cndr": "CBOE_CNDR", "cboe_pput": "CBOE_PPUT"}


def short_put_baseline(market: MarketData, dates: list[date], cash: float, target_dte: int = 45,
                       delta: float = 0.16, profit_target: float = 0.5, exit_dte: int = 21,
                       reserve: float = 0.20) -> np.ndarray:
    """Daily equity (USD) of the 45-DTE 16-delta short put baseline over `dates`; its idle cash
    (cash less the put's margin and `reserve` x equity) earns the T-bill rate between sessions."""
    model = ChainModel()
    spy, vix = market.daily["SPY"], market.vix
    equity = np.empty(len(dates))
    position: tuple[Contract, float] | None = None  # (contract, credit received per share)
    margin = 0.0  # the put's margin at the previous close
    for i, day in enumerate(dates):
        if i > 0:
            idle = sweepable_cash(cash, float(equity[i - 1]), margin, reserve)
            cash += accrued_interest(idle, market.rate_on(dates[i - 1]), (day - dates[i - 1]).days)
        stamp = np.datetime64(day, "D")
        spot = float(spy.close[np.searchsorted(spy.dates, stamp)])
        v_index = int(np.searchsorted(vix.dates, stamp))
        vol = float(vix.close[v_index]) / 100.0 if v_index < len(vix.dates) and vix.dates[v_index] == stamp else None
        when = datetime.combine(day, time(15, 59), tzinfo=EASTERN)
        rate = market.rate_on(day)
        quote = None  # (bid, ask, iv, delta) of the held put at this close: priced once, for the exit and the mark
        if position is not None and vol is not None:
            contract, credit = position
            quote = model.price_contract(contract, when, spot, vol, rate, DIVIDEND_YIELD)
            dte = (contract.expiry - day).days if contract.expiry else 0
            if quote[1] <= (1.0 - profit_target) * credit or dte <= exit_dte:
                cash -= quote[1] * MULTIPLIER
                position = None
        if position is None and vol is not None:
            position, cash = _open(model, when, spot, vol, rate, cash, target_dte, delta)
            quote = None
        mark, margin = _mark(model, position, quote, when, spot, vol, rate) if position else (0.0, 0.0)
        equity[i] = cash + mark
    return equity


def cboe_index_baselines(data_dir: Path, dates: list[date], cash: float) -> tuple[dict[str, np.ndarray],
                                                                                  dict[str, str]]:
    """The CBOE strategy indices as equity (USD, `cash` at the first session) on `dates`, and a note
    per index: why it was left out (no file, or the file does not cover the run), or the sessions
    the file has no row for (the previous close is carried there, as CBOE published none)."""
    series: dict[str, np.ndarray] = {}
    notes: dict[str, str] = {}
    run = np.array(dates, dtype="datetime64[D]")
    for name, stem in CBOE_INDICES.items():
        path = Path(data_dir) / "daily" / f"{stem}.csv"
        if not path.is_file():
            notes[name] = f"left out: no file daily/{stem}.csv"
            continue
        frame = pd.read_csv(path, usecols=["date", "close"])
        index_dates = frame["date"].to_numpy(dtype="datetime64[D]")
        close = frame["close"].to_numpy(dtype=float)
        if len(run) == 0 or len(index_dates) == 0 or index_dates[0] > run[0] or index_dates[-1] < run[-1]:
            span = f"{index_dates[0]}..{index_dates[-1]}" if len(index_dates) else "no rows"
            notes[name] = f"left out: daily/{stem}.csv covers {span}, not the run's {dates[0]}..{dates[-1]}"
            continue
        at = np.searchsorted(index_dates, run, side="right") - 1  # the last close on or before each session
        series[name] = cash * close[at] / close[at[0]]
        missing = [str(d) for d in run[index_dates[at] != run]]
        if missing:
            notes[name] = f"no CBOE close on {len(missing)} session(s), previous close carried: {', '.join(missing)}"
    return series, notes


def _open(model: ChainModel, when: datetime, spot: float, vol: float, rate: float, cash: float, target_dte: int,
          delta: float) -> tuple[tuple[Contract, float] | None, float]:
    chain = model.snapshot("SPY", when, spot, vol, rate, DIVIDEND_YIELD, target_dte - 15, target_dte + 15)
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


def _mark(model: ChainModel, position: tuple[Contract, float] | None,
          quote: tuple[float, float, float, float] | None, when: datetime, spot: float, vol: float | None,
          rate: float) -> tuple[float, float]:
    """(value, margin) of the short put in USD at the close, from its `quote` (priced here when None);
    (0, 0) when flat or without a VIX close."""
    if position is None or vol is None:
        return 0.0, 0.0
    contract = position[0]
    bid, ask, iv, _ = quote or model.price_contract(contract, when, spot, vol, rate, DIVIDEND_YIELD)
    mid = (bid + ask) / 2.0
    margin = estimate_margin([(contract, -1)], spot, {contract.key: mid}, {contract.key: iv}, when.date())
    return -mid * MULTIPLIER, margin


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
