"""Strike and expiry selection over option-chain arrays (pure numpy, no pandas).

Inputs:
- strikes: 1-D array-like of float64 strike prices (USD, or index points for futures options).
  Rows may repeat a strike (calls and puts, several expiries); NaN strikes are ignored.
- deltas: 1-D float64 array of the same length, signed: calls in (0, 1], puts in [-1, 0).
  NaN and exactly-zero deltas (Greeks not computed yet) never qualify.
- right: "C"/"P" (also "call"/"put", any case).
- expiries: numpy datetime64 (any unit, truncated to days) or a sequence of datetime.date.

An empty chain, or a chain where nothing qualifies, returns None ("no decision now", as
DESIGN.md asks); inputs of the wrong kind raise TypeError, out-of-range values ValueError,
each naming the argument.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import numpy as np

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _strike_array(strikes: object, name: str = "strikes") -> np.ndarray:
    try:
        arr = np.asarray(strikes, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a 1-D array of numbers: {exc}") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    return arr


def _finite_number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a number, got {value!r}")
    x = float(value)
    if not np.isfinite(x):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return x


def _right(right: object) -> str:
    if not isinstance(right, str):
        raise TypeError(f"right must be 'C' or 'P', got {right!r}")
    r = right.strip().upper()
    if r in ("C", "CALL"):
        return "C"
    if r in ("P", "PUT"):
        return "P"
    raise ValueError(f"right must be 'C'/'call' or 'P'/'put', got {right!r}")


def _closest(values: np.ndarray, target: float, prefer_lower: bool) -> int | None:
    """Index of the finite value closest to target; ties go to the lower (or higher) value."""
    finite = np.flatnonzero(np.isfinite(values))
    if finite.size == 0:
        return None
    distance = np.abs(values[finite] - target)
    best = distance.min()
    tied = finite[np.isclose(distance, best, rtol=0.0, atol=1e-9)]
    pick = tied[np.argmin(values[tied])] if prefer_lower else tied[np.argmax(values[tied])]
    return int(pick)


def nearest_strike(strikes: object, target: float, tie: str = "lower") -> float | None:
    """The listed strike closest to target (same units as strikes).

    Ties (target exactly between two strikes, within 1e-9) go to the lower strike, or the
    higher one with tie="higher". Returns None when there is no finite strike.
    Raises TypeError/ValueError for a non-1-D array, a non-finite target or a bad tie.
    """
    arr = _strike_array(strikes)
    x = _finite_number(target, "target")
    if tie not in ("lower", "higher"):
        raise ValueError(f"tie must be 'lower' or 'higher', got {tie!r}")
    i = _closest(arr, x, prefer_lower=tie == "lower")
    return None if i is None else float(arr[i])


def index_by_delta(strikes: object, deltas: object, target_delta: float, right: str,
                   max_abs_delta: float | None = None) -> int | None:
    """Row index of the option of `right` whose |delta| is closest to |target_delta|.

    target_delta may be given signed or unsigned (0.16 and -0.16 are the same put target);
    0 < |target_delta| < 1. Only rows of the right's sign qualify (calls delta > 0, puts < 0);
    NaN, zero and NaN-strike rows are ignored. With max_abs_delta (e.g. 0.30 for "never 30
    delta or more") rows with |delta| >= max_abs_delta are excluded. Ties in distance go to the
    smaller |delta| (further out of the money). Returns None when nothing qualifies.
    Raises TypeError/ValueError for mismatched arrays or out-of-range deltas.
    """
    arr = _strike_array(strikes)
    d = _strike_array(deltas, "deltas")
    if d.shape != arr.shape:
        raise ValueError(f"deltas shape {d.shape} differs from strikes shape {arr.shape}")
    target = abs(_finite_number(target_delta, "target_delta"))
    if not 0.0 < target < 1.0:
        raise ValueError(f"target_delta must satisfy 0 < |target_delta| < 1, got {target_delta!r}")
    cap = np.inf
    if max_abs_delta is not None:
        cap = _finite_number(max_abs_delta, "max_abs_delta")
        if not 0.0 < cap <= 1.0:
            raise ValueError(f"max_abs_delta must be in (0, 1], got {max_abs_delta!r}")
    sign = 1.0 if _right(right) == "C" else -1.0
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(arr) & np.isfinite(d) & (d * sign > 0.0) & (np.abs(d) < cap)
    candidates = np.flatnonzero(ok)
    if candidates.size == 0:
        return None
    absd = np.abs(d[candidates])
    distance = np.abs(absd - target)
    tied = candidates[np.isclose(distance, distance.min(), rtol=0.0, atol=1e-12)]
    return int(tied[np.argmin(np.abs(d[tied]))])


def strike_by_delta(strikes: object, deltas: object, target_delta: float, right: str,
                    max_abs_delta: float | None = None) -> float | None:
    """The strike of index_by_delta (see there); None when nothing qualifies.

    Example: a 16-delta short put, never 30 delta or more:
    strike_by_delta(strikes, deltas, 0.16, "P", max_abs_delta=0.30).
    """
    i = index_by_delta(strikes, deltas, target_delta, right, max_abs_delta)
    return None if i is None else float(np.asarray(strikes, dtype=np.float64)[i])


def strike_by_percent_otm(strikes: object, spot: float, pct: float, right: str) -> float | None:
    """The listed strike nearest to spot*(1-pct) for puts or spot*(1+pct) for calls.

    pct is a fraction (0.07 for 7% out of the money), 0 <= pct < 1; spot > 0 in the strikes'
    units. Ties go to the further out-of-the-money strike (lower for puts, higher for calls).
    Returns None for an empty chain. Raises TypeError/ValueError for bad spot or pct (pct=7
    is refused: give 0.07).
    """
    arr = _strike_array(strikes)
    s = _finite_number(spot, "spot")
    p = _finite_number(pct, "pct")
    if s <= 0.0:
        raise ValueError(f"spot must be > 0, got {spot!r}")
    if not 0.0 <= p < 1.0:
        raise ValueError(f"pct must be a fraction in [0, 1) such as 0.07, got {pct!r}")
    is_put = _right(right) == "P"
    target = s * (1.0 - p) if is_put else s * (1.0 + p)
    i = _closest(arr, target, prefer_lower=is_put)
    return None if i is None else float(arr[i])


def strike_offset(strikes: object, strike: float, n_steps: int) -> float | None:
    """The listed strike n_steps distinct strikes away from `strike` (n > 0 higher, n < 0 lower).

    Strikes are de-duplicated and sorted first, so repeated rows (calls and puts) count once.
    For a call, 1-2 strikes in the money is n_steps=-1 or -2. `strike` must be listed (within
    1e-6). Returns None when the chain has no strike that far. Raises TypeError/ValueError
    for a non-int n_steps or an unlisted strike.
    """
    arr = _strike_array(strikes)
    k = _finite_number(strike, "strike")
    if isinstance(n_steps, bool) or not isinstance(n_steps, int | np.integer):
        raise TypeError(f"n_steps must be an int, got {n_steps!r}")
    listed = np.unique(arr[np.isfinite(arr)])
    if listed.size == 0:
        return None
    pos = int(np.argmin(np.abs(listed - k)))
    if abs(listed[pos] - k) > 1e-6:
        raise ValueError(f"strike={strike!r} is not a listed strike")
    j = pos + int(n_steps)
    return float(listed[j]) if 0 <= j < listed.size else None


def _expiry_days(expiries: object) -> tuple[np.ndarray, bool]:
    """Expiries as int64 days since 1970-01-01; True when the input was datetime64."""
    if isinstance(expiries, np.ndarray) and np.issubdtype(expiries.dtype, np.datetime64):
        if expiries.ndim != 1:
            raise ValueError(f"expiries must be 1-D, got shape {expiries.shape}")
        return expiries.astype("datetime64[D]").astype(np.int64), True
    if isinstance(expiries, np.ndarray) and expiries.size == 0:
        return np.empty(0, dtype=np.int64), False
    if not isinstance(expiries, Sequence | np.ndarray) or isinstance(expiries, str):
        raise TypeError(f"expiries must be datetime64[D] or a sequence of dates, got {type(expiries).__name__}")
    out = np.empty(len(expiries), dtype=np.int64)
    for i, e in enumerate(expiries):
        if isinstance(e, datetime) or not isinstance(e, date):
            raise TypeError(f"expiries[{i}] must be a datetime.date, got {e!r}")
        out[i] = e.toordinal() - _EPOCH_ORDINAL
    return out, False


def nearest_expiry(expiries: object, as_of: date, target_dte: int, min_dte: int, max_dte: int) -> date | None:
    """The expiry whose calendar days to expiry is closest to target_dte within [min_dte, max_dte].

    expiries: numpy datetime64 array or a sequence of datetime.date (duplicates allowed);
    as_of: datetime.date. DTE = calendar days from as_of. Ties go to the earlier expiry.
    Returns a datetime.date, or None when no expiry is inside the range.
    Raises TypeError/ValueError for bad types, negative or inverted ranges.
    """
    if isinstance(as_of, datetime) or not isinstance(as_of, date):
        raise TypeError(f"as_of must be a datetime.date, got {as_of!r}")
    for name, v in (("target_dte", target_dte), ("min_dte", min_dte), ("max_dte", max_dte)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer):
            raise TypeError(f"{name} must be an int, got {v!r}")
    if min_dte < 0 or max_dte < min_dte:
        raise ValueError(f"need 0 <= min_dte <= max_dte, got min_dte={min_dte}, max_dte={max_dte}")
    days, _ = _expiry_days(expiries)
    dte = days - (as_of.toordinal() - _EPOCH_ORDINAL)
    ok = np.flatnonzero((dte >= min_dte) & (dte <= max_dte))
    if ok.size == 0:
        return None
    distance = np.abs(dte[ok] - int(target_dte))
    tied = ok[distance == distance.min()]
    best = int(days[tied].min())
    return date.fromordinal(best + _EPOCH_ORDINAL)
