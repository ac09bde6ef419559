"""The product table (config/constants.py) is the one place product facts are written."""
from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

from config.constants import PRODUCTS, ProductKind, option_ticker_roots, product_spec, underlying_of
from config.strategy_parameters import FUTURES_STRANGLE_ROOTS, LT112_ROOTS, PRODUCT_CHOICES_INDEX
from helpers.expiry_series import ALIASES, CME_ROOTS
from offline.market.data_requirements import FUTURES_FOR_OPTIONS, INDEX_FILE, product_file
from offline.market.futures_roll import RULES, roll_rule

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("main.py", "config", "core", "strategies", "risk", "greeks", "helpers", "reporting", "lean_adapter",
            "offline", "benchmarks")
# CME contract specifications: a micro is a tenth of its full-size contract, with the same tick
MICRO_OF = {"MES": "ES", "MNQ": "NQ", "MCL": "CL", "MGC": "GC"}


def test_micro_contracts_are_a_tenth_of_their_full_size_and_priced_by_its_series() -> None:
    assert {root: spec.micro_of for root, spec in PRODUCTS.items() if spec.micro_of} == MICRO_OF
    for micro, full in MICRO_OF.items():
        m, f = product_spec(micro), product_spec(full)
        assert m.multiplier * 10 == f.multiplier and m.tick_size == f.tick_size
        assert (m.calendar, m.option_model, m.asset_class, m.future_months) == (
            f.calendar, f.option_model, f.asset_class, f.future_months)
        assert m.price_series == f.price_series == full and m.underlying == micro


def test_every_price_series_is_a_full_size_root_of_the_table() -> None:
    for root, spec in PRODUCTS.items():
        series = product_spec(spec.price_series)
        assert series.micro_of is None and series.price_series == series.root, root
        assert (spec.kind == ProductKind.FUTURE_OPTION) == (spec.calendar == "CME") == (spec.option_model == "black76")
        if spec.kind == ProductKind.FUTURE_OPTION:
            assert spec.future_multiplier == spec.option_multiplier, root
    assert product_spec("XSP").price_scale == 0.1 and product_spec("XSP").price_series == "SPX"
    # dividends: the ETFs that pay them (ETF_dividends_derived.csv); SPY's for the S&P 500 indices
    assert {r: s.dividend_source for r, s in PRODUCTS.items() if s.dividend_source} == {
        "SPY": "SPY", "QQQ": "QQQ", "IWM": "IWM", "TLT": "TLT", "SPX": "SPY", "SPXW": "SPY", "XSP": "SPY"}
    assert [underlying_of(r) for r in ("SPXW", "SPX", "MES", "SPY", "VIX")] == ["SPX", "SPX", "MES", "SPY", "VIX"]


def test_readers_of_the_table() -> None:
    assert FUTURES_FOR_OPTIONS == {"MES": "ES", "ES": "ES", "MNQ": "NQ", "NQ": "NQ", "MCL": "CL", "CL": "CL",
                                   "MGC": "GC", "GC": "GC"}
    assert CME_ROOTS == frozenset(FUTURES_FOR_OPTIONS)
    assert ALIASES == option_ticker_roots() == {"LO": "CL", "OG": "GC"}  # NYMEX WTI and COMEX gold options
    assert roll_rule("MES") is roll_rule("ES") is RULES["ES"] and roll_rule("MGC") is RULES["GC"]
    assert roll_rule("SPY") is None and roll_rule("XYZ") is None
    assert [product_file(p) for p in ("/MES", "spxw", "SPY", "MCL")] == [
        "daily/ES_front_month.csv", INDEX_FILE, "daily/SPY.csv", "daily/CL_front_month.csv"]
    with pytest.raises(KeyError, match="unknown product root 'XYZ'"):
        product_file("XYZ")


def test_every_product_a_strategy_can_choose_has_its_data_file(shared_data: Path) -> None:
    for root in {*PRODUCT_CHOICES_INDEX, *FUTURES_STRANGLE_ROOTS, *LT112_ROOTS}:
        assert (shared_data / product_file(root)).is_file(), root
    paying = set(pd.read_csv(shared_data / "daily" / "ETF_dividends_derived.csv")["ticker"])
    assert paying == {s.dividend_source for s in PRODUCTS.values() if s.kind == ProductKind.EQUITY_OPTION} - {None}


def _root_mappings(path: Path) -> list[str]:
    """Dict literals in `path` that map a product root (or an option ticker) to another product root,
    directly or as the first item of a tuple: a product fact written outside the table."""
    roots = set(PRODUCTS) | set(option_ticker_roots())
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Dict):
            continue
        for key, value in zip(node.keys, node.values, strict=True):
            target = value.elts[0] if isinstance(value, ast.Tuple) and value.elts else value
            if (isinstance(key, ast.Constant) and key.value in roots and isinstance(target, ast.Constant)
                    and target.value in PRODUCTS and target.value != key.value):
                found.append(f"{path.relative_to(REPO)}:{node.lineno} {key.value!r} -> {target.value!r}")
    return found


def test_no_module_writes_a_root_to_root_mapping_of_its_own() -> None:
    files = [REPO / p for p in PACKAGES if p.endswith(".py")] + [
        f for p in PACKAGES if not p.endswith(".py") for f in sorted((REPO / p).rglob("*.py"))]
    found = [m for f in files if f != REPO / "config" / "constants.py" for m in _root_mappings(f)]
    assert found == []
