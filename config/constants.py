"""Fixed facts of the framework: VIX regime table, account phases, correlation groups, products.

These are the single source of truth for SPEC sections 1, 2, 4 and 8. Tunable thresholds that a
user may sweep (VIX_HIGH, VIX_EXTREME, phase caps, ...) have their defaults here and are exposed as
parameters in config/framework_parameters.py; everything else (multipliers, group membership) is a
fact about the market and is not a parameter.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

# --- VIX regimes (SPEC section 2) ---------------------------------------------------------------

VIX_HIGH = 30.0
VIX_EXTREME = 35.0


class Regime(str, Enum):
    """VIX regimes, ordered from calmest to most stressed."""

    EXTREMELY_LOW = "EXTREMELY_LOW"
    LOW = "LOW"
    NORMAL = "NORMAL"
    ELEVATED = "ELEVATED"
    VOLATILE = "VOLATILE"
    HIGH = "HIGH"
    EXTREME = "EXTREME"


@dataclass(frozen=True)
class RegimeRule:
    """One row of the regime table: VIX >= lower_bound (exclusive below, inclusive above)."""

    regime: Regime
    lower_bound: float
    max_buying_power: float  # fraction of net liquidation, further capped by the phase
    size_multiplier: float


# Ordered by lower bound; the last row whose bound is <= VIX applies. VIX_HIGH and VIX_EXTREME
# rows take their bounds from the parameters at run time (see core/vix_manager.py).
REGIME_TABLE: tuple[RegimeRule, ...] = (
    RegimeRule(Regime.EXTREMELY_LOW, float("-inf"), 0.45, 1.0),
    RegimeRule(Regime.LOW, 12.0, 0.60, 1.0),
    RegimeRule(Regime.NORMAL, 16.0, 0.70, 1.0),
    RegimeRule(Regime.ELEVATED, 20.0, 0.75, 1.0),
    RegimeRule(Regime.VOLATILE, 25.0, 0.50, 0.75),
    RegimeRule(Regime.HIGH, VIX_HIGH, 0.40, 0.5),
    RegimeRule(Regime.EXTREME, VIX_EXTREME, 0.0, 0.0),
)

VIX_VALID_MIN = 5.0
VIX_VALID_MAX = 150.0

# --- Account phases (SPEC section 1) ------------------------------------------------------------


@dataclass(frozen=True)
class PhaseRule:
    """One account phase: applies from `min_net_liq` (inclusive) upward."""

    phase: int
    min_net_liq: float
    max_positions: int
    max_buying_power: float


PHASE_TABLE: tuple[PhaseRule, ...] = (
    PhaseRule(1, 0.0, 3, 0.50),
    PhaseRule(2, 38_100.0, 6, 0.65),
    PhaseRule(3, 50_800.0, 10, 0.75),
    PhaseRule(4, 76_200.0, 15, 0.80),
)

FULL_SIZE_FUTURES_MIN_NET_LIQ = 75_000.0

# --- Correlation groups (SPEC section 4) --------------------------------------------------------

CORRELATION_GROUPS: dict[str, frozenset[str]] = {
    "A1": frozenset({"ES", "MES", "NQ", "MNQ", "RTY", "M2K", "YM", "MYM"}),
    "A2": frozenset({"SPY", "QQQ", "IWM", "DIA", "SPX", "SPXW", "XSP", "NDX", "RUT"}),
    "B1": frozenset({"GC", "MGC", "GLD", "TLT", "ZB", "ZN"}),
    "B2": frozenset({"SI", "SLV", "HG", "PL", "PA"}),
    "C1": frozenset({"CL", "MCL", "QM", "RB", "HO", "XLE", "XOP", "USO"}),
    "C2": frozenset({"NG", "UNG"}),
    "D1": frozenset({"ZC", "ZS", "ZW"}),
    "D2": frozenset({"LE", "HE", "GF"}),
    "E": frozenset({"6E", "6B", "6A", "6C", "6J", "M6E", "M6A"}),
}
SINGLE_POSITION_GROUPS = frozenset({"C2", "D2"})
EQUITY_INDEX_GROUPS = frozenset({"A1", "A2"})  # limited together per phase: risk_index_limit_phase1..4

# --- Products (SPEC section 8) ------------------------------------------------------------------
# The one product table: every fact about a product root (contract, exchange, what its options are
# written on, which market-data series prices it, the exchange's option ticker, micro/full pairs).


class ProductKind(str, Enum):
    """What kind of options a product root has."""

    EQUITY_OPTION = "equity_option"  # options on shares/ETFs (American, physical delivery)
    INDEX_OPTION = "index_option"  # cash-settled European index options
    FUTURE_OPTION = "future_option"  # options on a future


@dataclass(frozen=True)
class ProductSpec:
    """Contract facts for one underlying root (options on it share the multiplier)."""

    root: str
    kind: ProductKind
    option_multiplier: float  # USD per 1.00 of option price per contract
    future_multiplier: float  # USD per 1.00 of futures price (0 when there is no future)
    tick_size: float  # option price tick
    exercise_style: str  # "american" or "european"
    settlement: str  # "physical" (shares or futures) or "cash"
    calendar: str  # "NYSE" or "CME"
    option_model: str  # "bsm" (spot underlying) or "black76" (futures underlying)
    asset_class: str  # "equity_index", "equity", "commodity", "rates"
    broad_based_index: bool  # Reg-T 15%/10% rule instead of 20%/10%
    underlying: str  # what the options are written on: "SPX" for SPXW, the root itself otherwise
    price_series: str  # the market-data series that prices the underlying ("ES" for MES, "SPX" for XSP)
    price_scale: float = 1.0  # underlying price = price_series x price_scale (0.1 for XSP)
    option_ticker: str | None = None  # the exchange's ticker of the options when not the root ("OG" on GC)
    dividend_source: str | None = None  # the ETF whose distributions give the dividend yield (None: no dividends)
    future_months: tuple[int, ...] = ()  # the future's listed contract months (1-12); () without a future
    micro_of: str | None = None  # full-size root for micro contracts
    volatility_index: str | None = None  # e.g. "VIX" for SPY/SPX/ES

    @property
    def multiplier(self) -> float:
        """Option contract multiplier (the figure every P&L and margin uses for options)."""
        return self.option_multiplier

    @property
    def american_on_spot(self) -> bool:
        """American options on a spot underlying (the ETFs): priced with greeks.american. Futures
        options are American too, but priced with Black-76 (their early-exercise premium is small)."""
        return self.exercise_style == "american" and self.option_model == "bsm"


def _etf(root: str, vol_index: str | None = None, asset_class: str = "equity_index",
         pays_dividends: bool = True) -> ProductSpec:
    return ProductSpec(root, ProductKind.EQUITY_OPTION, 100.0, 0.0, 0.01, "american", "physical", "NYSE", "bsm",
                       asset_class, False, root, root, dividend_source=root if pays_dividends else None,
                       volatility_index=vol_index)


def _index(root: str, underlying: str, price_scale: float = 1.0) -> ProductSpec:
    # The market data has one S&P 500 series: the SPX index (the Mini-SPX index XSP is a tenth of it);
    # the index's dividend yield is SPY's (the ETF holds the index and passes on its dividends).
    return ProductSpec(root, ProductKind.INDEX_OPTION, 100.0, 0.0, 0.05, "european", "cash", "NYSE", "bsm",
                       "equity_index", True, underlying, "SPX", price_scale, dividend_source="SPY",
                       volatility_index="VIX")


def _future(root: str, multiplier: float, tick: float, asset_class: str, months: tuple[int, ...],
            micro_of: str | None = None, vol_index: str | None = None, option_ticker: str | None = None) -> ProductSpec:
    # The offline engine settles futures options to intrinsic value in cash at expiry: weekly and
    # end-of-month equity-index options are cash-settled; a quarterly option exercises into the
    # future, valued at the same settlement price, so the P&L is the same. LEAN delivers the future
    # for every futures option (lean_adapter/delivery.py closes it at once). A micro future is
    # priced by its full-size future's series (the same index or commodity, one price).
    return ProductSpec(root, ProductKind.FUTURE_OPTION, multiplier, multiplier, tick, "american", "cash", "CME",
                       "black76", asset_class, False, root, micro_of or root, 1.0, option_ticker, None, months,
                       micro_of, vol_index)


_QUARTERLY = (3, 6, 9, 12)  # CME equity index and Treasury futures
_MONTHLY = tuple(range(1, 13))  # NYMEX crude oil
_EVEN_MONTHS = (2, 4, 6, 8, 10, 12)  # COMEX gold (its active months)


PRODUCTS: dict[str, ProductSpec] = {
    "SPY": _etf("SPY", "VIX"),
    "QQQ": _etf("QQQ"),
    "IWM": _etf("IWM"),
    "GLD": _etf("GLD", asset_class="commodity", pays_dividends=False),
    "TLT": _etf("TLT", asset_class="rates"),
    "USO": _etf("USO", asset_class="commodity", pays_dividends=False),
    "SPX": _index("SPX", "SPX"),
    "SPXW": _index("SPXW", "SPX"),  # the SPX weeklies: options on the SPX index
    "XSP": _index("XSP", "XSP", 0.1),
    "ES": _future("ES", 50.0, 0.25, "equity_index", _QUARTERLY, vol_index="VIX"),
    "MES": _future("MES", 5.0, 0.25, "equity_index", _QUARTERLY, "ES", "VIX"),
    "NQ": _future("NQ", 20.0, 0.25, "equity_index", _QUARTERLY),
    "MNQ": _future("MNQ", 2.0, 0.25, "equity_index", _QUARTERLY, "NQ"),
    "CL": _future("CL", 1000.0, 0.01, "commodity", _MONTHLY, option_ticker="LO"),
    "MCL": _future("MCL", 100.0, 0.01, "commodity", _MONTHLY, "CL"),
    "GC": _future("GC", 100.0, 0.10, "commodity", _EVEN_MONTHS, option_ticker="OG"),
    "MGC": _future("MGC", 10.0, 0.10, "commodity", _EVEN_MONTHS, "GC"),
    "ZB": _future("ZB", 1000.0, 1.0 / 64.0, "rates", _QUARTERLY),
    "ZN": _future("ZN", 1000.0, 1.0 / 64.0, "rates", _QUARTERLY),
}


def product_spec(root: str) -> ProductSpec:
    """The product facts for an underlying root such as "SPY" or "MES".

    Raises:
        KeyError: the root is not in the product table (the message names it).
    """
    try:
        return PRODUCTS[root.upper()]
    except KeyError:
        raise KeyError(f"unknown product root {root!r}; known: {', '.join(sorted(PRODUCTS))}") from None


def underlying_of(root: str) -> str:
    """What the price of `root` is the price of: for a product in the table, the underlying its
    options are written on ("SPX" for "SPXW"); any other symbol (the VIX, a cash-sweep ETF) is
    its own."""
    spec = PRODUCTS.get(root)
    return root if spec is None else spec.underlying


def option_ticker_roots() -> dict[str, str]:
    """The exchange's option tickers that differ from their product root -> the root ("OG" -> "GC")."""
    return {spec.option_ticker: root for root, spec in PRODUCTS.items() if spec.option_ticker is not None}
