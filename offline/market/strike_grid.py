"""Listed strike spacing of the modelled option chains, by product root (STRIKE_GRIDS).

A product lists fine strike steps within `fine_range_fraction` of the underlying price, coarse
steps beyond, and one long-dated step for expiries past `long_dated_dte` days; the chain model
(offline.market.chain_model) lays its strikes on these grids.
"""
from __future__ import annotations

from dataclasses import dataclass

from offline.market.parameter_checks import check_fields


@dataclass(frozen=True)
class StrikeGrid:
    """Listed strike spacing of one product (price units of the underlying; dte in days).

    Raises ValueError for a non-positive step or fraction.
    """

    fine_step: float
    coarse_step: float
    fine_range_fraction: float
    long_dated_step: float
    long_dated_dte: int

    def __post_init__(self) -> None:
        check_fields(self, ("fine_step", "coarse_step", "fine_range_fraction", "long_dated_step",
                             "long_dated_dte"), ())


def _grid(fine: float, coarse: float, fine_range: float, long_step: float | None = None,
          long_dte: int = 270) -> StrikeGrid:
    return StrikeGrid(fine, coarse, fine_range, long_step if long_step is not None else coarse, long_dte)


# Strike spacing by root (approximations of the exchanges' listing rules, documented here):
# SPY/QQQ/IWM $1 near the money, $5 farther out and for LEAPs (> 270 DTE); SPX/SPXW 5 points
# near, 25 far; XSP $1/$5; ES/MES 5 points near, 25 far, 50 beyond a year; NQ 10/50; CL 0.50/1.00;
# GC 5/10; ZB 0.5/1 and ZN 0.25/0.5 points; GLD/TLT $1/$5 and USO $0.50/$1.
STRIKE_GRIDS: dict[str, StrikeGrid] = {
    "SPY": _grid(1.0, 5.0, 0.15), "QQQ": _grid(1.0, 5.0, 0.15), "IWM": _grid(1.0, 5.0, 0.15),
    "GLD": _grid(1.0, 5.0, 0.15), "TLT": _grid(1.0, 5.0, 0.15), "USO": _grid(0.5, 1.0, 0.15),
    "SPX": _grid(5.0, 25.0, 0.15), "SPXW": _grid(5.0, 25.0, 0.15), "XSP": _grid(1.0, 5.0, 0.15),
    "ES": _grid(5.0, 25.0, 0.10, 50.0, 365), "MES": _grid(5.0, 25.0, 0.10, 50.0, 365),
    "NQ": _grid(10.0, 50.0, 0.10, 100.0, 365), "MNQ": _grid(10.0, 50.0, 0.10, 100.0, 365),
    "CL": _grid(0.5, 1.0, 0.15, 1.0, 365), "MCL": _grid(0.5, 1.0, 0.15, 1.0, 365),
    "GC": _grid(5.0, 10.0, 0.10, 10.0, 365), "MGC": _grid(5.0, 10.0, 0.10, 10.0, 365),
    "ZB": _grid(0.5, 1.0, 0.05, 1.0, 365), "ZN": _grid(0.25, 0.5, 0.05, 0.5, 365),
}
