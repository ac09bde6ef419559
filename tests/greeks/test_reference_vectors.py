"""Every row of reference/option_pricing_reference_vectors.csv (1,332 rows) within its tolerance.

Units follow each source and are read from the `convention` column: py_vollib docstring
Black-76 Greeks quote theta per calendar day, vega per vol point and rho per rate point; all
other rows use theta per year and vega / rho per 1.00. Implied-volatility rows invert the price
written in `convention` ("price=..."), or the row's own model price when none is written.
Failures are reported by row number (the 0-based data row; CSV line = row + 2). The values
are computed vectorised per (model, quantity) group, so the array paths with mixed
rights are what is tested.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from greeks.pricing import (
    black76_greeks,
    black76_price,
    bsm_dividend_rho,
    bsm_elasticity,
    bsm_greeks,
    bsm_price,
    implied_volatility,
    theta_per_day,
)

REFERENCE = Path("reference") / "option_pricing_reference_vectors.csv"
EXPECTED_ROWS = 1332
QUANTITIES = ("price", "delta", "gamma", "vega", "theta", "rho", "dividend_rho", "elasticity",
              "theta_per_day", "undiscounted_price", "implied_vol_from_price")
_PRICE_IN_CONVENTION = re.compile(r"price=([0-9.eE+-]+)")


def _unit_factor(quantity: str, convention: str) -> float:
    """Scale from this module's units (per year, per 1.00) to the row's stated units."""
    c = convention.lower()
    if quantity == "theta" and "per calendar day" in c:
        return 1.0 / 365.0
    if quantity == "vega" and "vol point" in c:
        return 0.01
    if quantity == "rho" and "rate point" in c:
        return 0.01
    return 1.0


def _compute(rows: pd.DataFrame) -> np.ndarray:
    """Model values for all rows, computed per (model, quantity) group on arrays."""
    got = np.full(len(rows), np.nan)
    for (model, quantity), grp in rows.groupby(["model", "quantity"], sort=False):
        pos = rows.index.get_indexer(grp.index)
        right = grp["option_type"].to_numpy()
        columns = ("underlying", "strike", "T_years", "r", "sigma")
        u, k, t, r, sigma = (grp[c].to_numpy(float) for c in columns)
        q = np.nan_to_num(grp["q"].to_numpy(float))
        b76 = model == "black76"
        if quantity == "price":
            val = black76_price(right, u, k, t, r, sigma) if b76 else bsm_price(right, u, k, t, r, q, sigma)
        elif quantity == "undiscounted_price":
            assert b76
            val = black76_price(right, u, k, t, 0.0, sigma)
        elif quantity in ("delta", "gamma", "vega", "theta", "rho"):
            if b76:
                greeks = black76_greeks(right, u, k, t, r, sigma)
            else:
                greeks = bsm_greeks(right, u, k, t, r, q, sigma)
            factor = np.array([_unit_factor(quantity, str(c)) for c in grp["convention"].fillna("")])
            val = greeks[quantity] * factor
        elif quantity == "theta_per_day":
            val = theta_per_day(bsm_greeks(right, u, k, t, r, q, sigma)["theta"])
        elif quantity == "dividend_rho":
            val = bsm_dividend_rho(right, u, k, t, r, q, sigma)
        elif quantity == "elasticity":
            val = bsm_elasticity(right, u, k, t, r, q, sigma)
        elif quantity == "implied_vol_from_price":
            own = black76_price(right, u, k, t, r, sigma) if b76 else bsm_price(right, u, k, t, r, q, sigma)
            quoted = np.array([_quoted_price(str(c)) for c in grp["convention"].fillna("")])
            price = np.where(np.isnan(quoted), own, quoted)
            val = implied_volatility(price, right, u, k, t, r, q, model="black76" if b76 else "bsm")
        else:
            raise AssertionError(f"unknown quantity {quantity!r}")
        got[pos] = val
    return got


def _quoted_price(convention: str) -> float:
    match = _PRICE_IN_CONVENTION.search(convention)
    return float(match.group(1).rstrip(".")) if match else np.nan


@pytest.fixture(scope="module")
def reference(shared_data: Path) -> pd.DataFrame:
    rows = pd.read_csv(shared_data / REFERENCE)
    rows["got"] = _compute(rows)
    rows["error"] = (rows["got"] - rows["expected"]).abs()
    rows["passes"] = rows["error"] <= rows["tolerance"]
    return rows


def test_all_rows_are_loaded(reference: pd.DataFrame) -> None:
    assert len(reference) == EXPECTED_ROWS
    assert set(reference["quantity"]) == set(QUANTITIES)
    assert reference["got"].notna().all(), "some rows were not computed"


def test_every_row_within_tolerance(reference: pd.DataFrame) -> None:
    failing = reference[~reference["passes"]]
    report = failing[["model", "option_type", "underlying", "strike", "T_years", "sigma", "quantity",
                      "expected", "got", "tolerance"]].to_string()
    count = f"{len(failing)} of {len(reference)}"
    assert failing.empty, f"{count} rows outside tolerance (index = row number):\n{report}"


@pytest.mark.parametrize("quantity", QUANTITIES)
def test_rows_within_tolerance_by_quantity(reference: pd.DataFrame, quantity: str) -> None:
    rows = reference[reference["quantity"] == quantity]
    assert len(rows) > 0
    bad = rows.index[~rows["passes"]].tolist()
    assert not bad, f"{quantity}: rows {bad} outside tolerance; worst error {rows['error'].max():.3g}"
