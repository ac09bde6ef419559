"""One row per session close of what the report charts over time (written to daily.csv).

Columns (USD unless said otherwise):
- net_liquidation, margin_used: the broker's figures at the close;
- phase_cap, regime_cap: the buying power the phase and the VIX regime allow (their fraction of
  net liquidation), so the report can draw buying power used against both caps;
- delta_spy (beta-weighted dollar delta: USD per +1% move of SPY), theta (USD per calendar day),
  vega (USD per volatility point): the portfolio Greeks of every option held, from the modelled
  implied volatilities (greeks/portfolio_greeks.py); beta of each underlying to SPY from the 252
  daily returns before the session (1 for SPY itself), futures returns without roll gaps;
- pnl:<strategy>: cumulative P&L of the strategy: closed trades plus its open positions at
  their marks (mid quotes) net of fees;
- margin:<group>: the estimated margin of the open positions per correlation group.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np

from config.constants import product_spec
from core.engine.trading_system import TradingSystem
from core.types import ContractKind, contract_multiplier
from greeks.portfolio_greeks import OptionLeg, portfolio_greeks
from offline.market.data_requirements import FUTURES_FOR_OPTIONS
from offline.market.market_data import MarketData
from offline.market.market_view import ModelledMarketView
from risk.account_phases import phase_rule
from risk.correlation_groups import group_of

BETA_SESSIONS = 252


def underlying_returns(market: MarketData, root: str, day: date) -> np.ndarray | None:
    """Simple daily returns of `root`'s underlying over the BETA_SESSIONS sessions before `day`
    (futures without roll gaps), aligned on the dates SPY also has; None when unknown."""
    series = FUTURES_FOR_OPTIONS.get(root, root)
    if series in market.futures:
        bars, returns = market.futures[series].bars, market.futures[series].returns
    elif series in market.daily:
        bars = market.daily[series]
        returns = np.concatenate([[np.nan], bars.close[1:] / bars.close[:-1] - 1.0])
    else:
        return None
    end = int(np.searchsorted(bars.dates, np.datetime64(day, "D")))
    return np.column_stack([bars.dates[max(0, end - BETA_SESSIONS):end].astype("int64"),
                            returns[max(0, end - BETA_SESSIONS):end]])


def beta_to_spy(market: MarketData, root: str, day: date) -> float:
    """Beta of `root`'s daily returns to SPY's before `day` (1.0 for SPY; 1.0 when too few days)."""
    if root == "SPY":
        return 1.0
    own, spy = underlying_returns(market, root, day), underlying_returns(market, "SPY", day)
    if own is None or spy is None:
        return 1.0
    _, mine, theirs = np.intersect1d(own[:, 0], spy[:, 0], return_indices=True)
    x, y = spy[theirs, 1], own[mine, 1]
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 20 or np.var(x[ok]) == 0.0:
        return 1.0
    return float(np.cov(x[ok], y[ok])[0, 1] / np.var(x[ok], ddof=1))


class DailyRecorder:
    """Collects one row per session close (`record`), with the betas memoised per root and day."""

    def __init__(self, market: MarketData) -> None:
        self.market = market
        self.rows: list[dict[str, Any]] = []
        self._betas: dict[tuple[str, date], float] = {}

    def _beta(self, root: str, day: date) -> float:
        key = (root, day)
        if key not in self._betas:
            self._betas[key] = beta_to_spy(self.market, root, day)
        return self._betas[key]

    def record(self, now: datetime, system: TradingSystem, view: ModelledMarketView) -> dict[str, Any]:
        """Append and return the row of the session closing at `now`."""
        account = system.account_snapshot(now)
        nlv = account.net_liquidation
        row: dict[str, Any] = {
            "date": now.date().isoformat(), "net_liquidation": nlv, "margin_used": account.margin_used,
            "phase": account.phase, "phase_cap": phase_rule(account.phase).max_buying_power * nlv,
            "regime": account.regime, "regime_cap": system.vix.max_buying_power() * nlv,
        }
        row.update(self._greeks(now, system, view))
        pnl = {key: 0.0 for key in system.strategies}
        for trade in system.book.trades:
            pnl[trade["strategy"]] = pnl.get(trade["strategy"], 0.0) + float(trade["pnl"])
        for position in system.book.all_open():
            marks = 0.0
            for contract, quantity in position.contracts():
                quote = view.quote(contract)
                if quote is not None:
                    marks += quantity * 0.5 * (quote.bid + quote.ask) * contract_multiplier(contract)
            pnl[position.strategy] = (pnl.get(position.strategy, 0.0) + position.realized_cash + marks
                                      - position.fees)
        row.update({f"pnl:{key}": value for key, value in sorted(pnl.items())})
        groups: dict[str, float] = {}
        for summary in account.open_positions:
            group = "+".join(sorted({group_of(root) for root in summary.roots})) or "none"
            groups[group] = groups.get(group, 0.0) + summary.margin
        row.update({f"margin:{key}": value for key, value in sorted(groups.items())})
        self.rows.append(row)
        return row

    def _greeks(self, now: datetime, system: TradingSystem, view: ModelledMarketView) -> dict[str, float]:
        held = [(contract, quantity) for position in system.book.all_open()
                for contract, quantity in position.contracts() if contract.kind == ContractKind.OPTION]
        legs = []
        for (contract, quantity), priced in zip(held, view.contract_greek_inputs([c for c, _ in held]), strict=True):
            if priced is None:
                continue
            spot, years, sigma, rate, q = priced
            assert contract.strike is not None and contract.right is not None
            legs.append(OptionLeg(root=contract.root, right=contract.right, strike=contract.strike, T=years,
                                  quantity=quantity, underlying_price=spot, sigma=sigma, r=rate,
                                  q=q if product_spec(contract.root).option_model == "bsm" else 0.0,
                                  beta=self._beta(contract.root, now.date())))
        if not legs:
            return {"delta_spy": 0.0, "theta": 0.0, "vega": 0.0}
        total = portfolio_greeks(legs).total
        return {"delta_spy": float(total.beta_weighted_dollar_delta), "theta": float(total.dollar_theta),
                "vega": float(total.dollar_vega)}
