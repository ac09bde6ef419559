"""Which market data files each strategy needs, and what a run does when one is missing.

Every run needs `daily/SPY.csv`, `daily/VIX_cboe.csv` and `rates/DGS3MO_daily.csv` (the loader stops
without them). Beyond those, a strategy needs the daily file of each product it trades: an ETF its
own `daily/<SYMBOL>.csv`, SPX and SPXW options `daily/SPX_index.csv.gz`, futures and futures options
the full-size root's `daily/<ROOT>_front_month.csv` (/MES -> ES). A missing one stops the run with
the file named, unless the user allows it (`tomking backtest --allow-missing`): then the strategy
is switched off (`<key>_enabled=false`) and every output says so. A strategy with a list of
products (LT112, the futures strangle) trades the ones whose files are there instead, and is
switched off only when none is.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from config.constants import PRODUCTS, ProductKind, product_spec
from config.loader import FrameworkConfig
from helpers.expiry_series import PRODUCTS as EXPIRY_PRODUCTS
from strategies.registry import SPECS

ALWAYS_NEEDED = ("daily/SPY.csv", "daily/VIX_cboe.csv", "rates/DGS3MO_daily.csv")
# option root -> the futures series it quotes off (daily/<ROOT>_front_month.csv), for the futures
# products with an option expiry calendar (the ones a strategy can trade)
FUTURES_FOR_OPTIONS = {root: PRODUCTS[root].price_series for root in EXPIRY_PRODUCTS
                       if PRODUCTS[root].kind == ProductKind.FUTURE_OPTION}
INDEX_FILE = "daily/SPX_index.csv.gz"


def product_file(product: str) -> str:
    """The daily file (relative to the data folder) an option product quotes off.

    Raises KeyError for a root not in the product table."""
    spec = product_spec(product.strip().lstrip("/"))
    if spec.kind == ProductKind.INDEX_OPTION:
        return INDEX_FILE
    if spec.kind == ProductKind.FUTURE_OPTION:
        return f"daily/{spec.price_series}_front_month.csv"
    return f"daily/{spec.price_series}.csv"


def strategy_products(config: FrameworkConfig) -> dict[str, tuple[str, ...]]:
    """Strategy key -> the products it trades with this configuration, as it declares them (enabled
    strategies only, in the order of the configuration's sections)."""
    specs = {spec.key: spec for spec in SPECS}
    return {name: specs[name].roots(section) for name, section in vars(config).items()
            if name in specs and section.enabled}


def required_files(config: FrameworkConfig) -> dict[str, tuple[str, ...]]:
    """Strategy key -> the data files it needs beyond ALWAYS_NEEDED (enabled strategies only)."""
    needed = {}
    for key, products in strategy_products(config).items():
        files = tuple(dict.fromkeys(product_file(product) for product in products))
        needed[key] = tuple(f for f in files if f not in ALWAYS_NEEDED)
    return needed


@dataclass(frozen=True)
class MissingData:
    """A strategy whose data is (partly) missing, what is missing, and the overrides that run
    without it (the strategy off, or a futures strangle with fewer products)."""

    strategy: str
    files: tuple[str, ...]
    overrides: dict[str, str]

    def message(self) -> str:
        """One line saying what the run does without the files."""
        files = ", ".join(self.files)
        if f"{self.strategy}_enabled" in self.overrides:
            return f"{self.strategy} switched off: {files} missing from the data folder"
        kept = ", ".join(f"{k}={v}" for k, v in self.overrides.items())
        return f"{self.strategy} trades without the products of {files} (missing from the data folder): {kept}"


def missing_data(config: FrameworkConfig, data_dir: str | Path) -> list[MissingData]:
    """The enabled strategies that need a file absent from `data_dir`, in strategy order."""
    root = Path(data_dir)
    found = []
    def present(product: str) -> bool:  # the loader itself stops without an ALWAYS_NEEDED file
        return product_file(product) in ALWAYS_NEEDED or (root / product_file(product)).is_file()

    for key, products in strategy_products(config).items():
        missing = tuple(dict.fromkeys(product_file(p) for p in products if not present(p)))
        if not missing:
            continue
        kept = [p for p in products if present(p)]
        if kept and len(products) > 1:
            overrides = {f"{key}_products": ",".join(kept)}
        else:
            overrides = {f"{key}_enabled": "false"}
        found.append(MissingData(key, missing, overrides))
    return found


def missing_data_error(missing: list[MissingData]) -> str:
    """The problem text that stops a run whose strategies lack data files: each file and who needs it."""
    needers: dict[str, list[str]] = {}
    for item in missing:
        for file in item.files:
            needers.setdefault(file, []).append(item.strategy)
    lines = [f"{file} is missing ({' and '.join(keys)} need{'s' if len(keys) == 1 else ''} it)"
             for file, keys in needers.items()]
    return ("; ".join(lines) + ". Add it (see the README's market data layout), switch the strategy off with "
            "--set KEY_enabled=false, or run with --allow-missing to go on without it")
