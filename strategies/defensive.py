"""Defensive management shared by every short-premium strategy except 0DTE (SPEC section 5).

Close at the exit DTE whatever the P&L; never roll a losing (tested) side out in time; the only
roll is the untested side. Helpers here read the market through the decision context only.
"""
from __future__ import annotations

from datetime import date

import numpy as np

from core.types import Contract, Position
from strategies.base import DecisionContext


def days_to_expiry(position: Position, today: date) -> int | None:
    """Calendar days to the position's nearest expiry (None when it holds no dated contract)."""
    expiries = position.expiries()
    return min((e - today).days for e in expiries) if expiries else None


def dte_exit_due(position: Position, today: date, exit_dte: int) -> bool:
    """True once the nearest expiry is `exit_dte` calendar days away or closer."""
    dte = days_to_expiry(position, today)
    return dte is not None and dte <= exit_dte


def contract_deltas(ctx: DecisionContext, contracts: list[Contract]) -> dict[str, float]:
    """Current delta of each option contract from the chain (missing contracts are left out)."""
    deltas: dict[str, float] = {}
    by_root: dict[str, list[Contract]] = {}
    for contract in contracts:
        if contract.expiry is not None and contract.strike is not None:
            by_root.setdefault(contract.root, []).append(contract)
    for root, items in by_root.items():
        dtes = [(c.expiry - ctx.today).days for c in items if c.expiry is not None]
        chain = ctx.market.chain(root, max(0, min(dtes)), max(dtes))
        if chain is None or len(chain) == 0:
            continue
        for contract in items:
            mask = ((chain.expiries == np.datetime64(contract.expiry, "D"))
                    & (np.abs(chain.strikes - float(contract.strike or 0.0)) < 1e-9)
                    & (chain.is_call == (contract.right == "call")))
            rows = np.flatnonzero(mask)
            if rows.size and np.isfinite(chain.delta[rows[0]]):
                deltas[contract.key] = float(chain.delta[rows[0]])
    return deltas


def short_contracts(position: Position, right: str | None = None) -> list[Contract]:
    """The position's short option contracts (of one right if given)."""
    return [c for c, q in position.contracts() if q < 0 and c.strike is not None and (right is None or c.right == right)]
