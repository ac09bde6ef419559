"""The limits on the size of one opening order (SPEC sections 1, 3 and 4), each defined once.

The sizer (core/unified_position_sizer.py) sizes an order to the smallest of them, its budgets
scaled by the regime, drawdown and spike multipliers; the risk gate (risk/risk_checks.py) enforces
each again, unscaled, on the order as it is sent, with its reason code. Amounts are in USD,
fractions of net liquidation:

* per_trade_risk:   the order's loss at the stop <= `risk_budget` = per_trade_risk x net liquidation;
* per_position_cap: the position's margin <= `position_room` = buying_power_cap x net liquidation
                    - the margin the position already holds against the cap (`position_margin`);
* buying_power:     the order's margin <= `headroom` = cap fraction x net liquidation - margin in
                    use, the cap fraction being min(phase cap, regime cap, 1 - reserve);
* spike_budget:     a spike deployment's margin <= `deployment_budget` (the spike budget left);
* contract_cap:     units per order <= `contract_cap`: the phase's (`risk_phase1_max_contracts` in
                    phase 1, else `risk_max_contracts`), or fewer when the strategy asks for fewer.

`units_within(budget, per_unit)` turns a budget into the units it allows.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from config.framework_parameters import RiskParameters
from core.account import AccountSnapshot

MONEY_TOLERANCE = 1e-6  # USD
UNBOUNDED_UNITS = 1e9  # a budget admitting this many units does not limit the quantity


def units_within(budget: float, per_unit: float) -> int | None:
    """Largest n >= 0 with n * per_unit <= budget + MONEY_TOLERANCE, in USD.

    0 when the budget is already overdrawn (even for a zero per-unit amount: nothing new opens
    beyond a limit that is already broken). None means no practical bound (per_unit is 0, or more
    than UNBOUNDED_UNITS units fit). The tolerance (a millionth of a dollar) keeps floating-point
    noise such as 3 * 0.1 > 0.3 from costing a unit.
    """
    limit = budget + MONEY_TOLERANCE
    if limit < 0:
        return 0
    if per_unit <= 0 or limit / per_unit >= UNBOUNDED_UNITS:
        return None
    n = math.floor(limit / per_unit)
    if n * per_unit > limit:
        n -= 1
    elif (n + 1) * per_unit <= limit:
        n += 1
    return n


def contract_cap(risk: RiskParameters, phase: int) -> int:
    """Contracts (or spread units) per order in `phase`."""
    return risk.phase1_max_contracts if phase == 1 else risk.max_contracts


@dataclass(frozen=True)
class Limits:
    """What bounds one opening order: the account's figures and the limits' parameters.

    `buying_power_cap` is the strategy's per-position cap (None: it has none, the spike budget
    bounds it instead); `regime_buying_power` the regime's cap on buying power in use (1.0: none);
    `deployment_budget` the spike budget left for a spike deployment (None for other strategies).
    """

    net_liquidation: float
    margin_used: float
    per_trade_risk: float
    buying_power_cap: float | None
    phase_buying_power: float
    regime_buying_power: float
    reserve: float
    contract_cap: int
    deployment_budget: float | None = None
    position_margin: float = 0.0

    @property
    def risk_budget(self) -> float:
        return self.per_trade_risk * self.net_liquidation

    @property
    def position_budget(self) -> float | None:
        """The most margin the position may hold (None: no per-position cap)."""
        return None if self.buying_power_cap is None else self.buying_power_cap * self.net_liquidation

    @property
    def position_room(self) -> float | None:
        """What the position may still take on (None: no per-position cap)."""
        budget = self.position_budget
        return None if budget is None else budget - self.position_margin

    @property
    def cap_fraction(self) -> float:
        return min(self.phase_buying_power, self.regime_buying_power, 1.0 - self.reserve)

    @property
    def headroom(self) -> float:
        return self.cap_fraction * self.net_liquidation - self.margin_used


def account_limits(account: AccountSnapshot, risk: RiskParameters, *, quantity: int, phase_buying_power: float,
                   regime_buying_power: float, buying_power_cap: float | None,
                   deployment_budget: float | None, position_margin: float = 0.0) -> Limits:
    """The limits of an order for `quantity` units placed from `account` under the risk parameters `risk`."""
    return Limits(net_liquidation=account.net_liquidation, margin_used=account.margin_used,
                  per_trade_risk=risk.per_trade_risk, buying_power_cap=buying_power_cap,
                  phase_buying_power=phase_buying_power, regime_buying_power=regime_buying_power,
                  reserve=risk.buying_power_reserve,
                  contract_cap=min(contract_cap(risk, account.phase), quantity),
                  deployment_budget=deployment_budget, position_margin=position_margin)
