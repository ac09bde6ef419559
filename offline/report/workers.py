"""Worker processes for the slow parts of a run's outputs: the report's charts and the short put baseline.

Most of the outputs' time is matplotlib (its import, then drawing and encoding each chart) and the
modelled short put; the charts are independent of each other and the baseline needs only the market
data and the run's sessions. `output_pool` starts two worker processes that import matplotlib as they
start; the backtest command starts them before the replay, so that the import and the baseline
(`start_short_put`) are done on the second core while the replay runs, and the charts are then drawn
two at a time while this process writes the other files. The results are the same bytes as in one
process: the same functions run on the same (pickled) arguments.

Workers ignore Ctrl-C (the main process decides what a Ctrl-C does); leaving the pool's `with` block
terminates them, finished or not.
"""
from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from multiprocessing.pool import Pool
from typing import Any

import numpy as np

WORKERS = 2


def _start_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import matplotlib.backends.backend_agg  # the charts' import, done while the replay runs
    import matplotlib.figure  # noqa: F401


def output_pool(workers: int = WORKERS) -> Pool:
    """A pool of `workers` processes ready to draw charts (use it as a context manager)."""
    return multiprocessing.Pool(workers, initializer=_start_worker)


def later(pool: Pool | None, function: Callable[..., Any], args: tuple[Any, ...],
          kwargs: dict[str, Any] | None = None) -> Callable[[], Any]:
    """function(*args, **kwargs) started in a worker of `pool` (computed here and now when `pool` is
    None); calling what is returned waits for the value, raising the function's error if it failed."""
    if pool is None:
        value = function(*args, **(kwargs or {}))
        return lambda: value
    return pool.apply_async(function, args, kwargs or {}).get


@dataclass(frozen=True)
class PendingBaseline:
    """The short put baseline asked for over `dates` (the sessions of the run); `value()` waits for it."""

    dates: tuple[date, ...]
    value: Callable[[], np.ndarray]


def start_short_put(pool: Pool, market: Any, dates: Sequence[date], cash: float,
                    reserve: float) -> PendingBaseline:
    """offline.report.baselines.short_put_baseline(market, dates, cash, reserve=reserve), started in `pool`."""
    from offline.report.baselines import short_put_baseline

    return PendingBaseline(tuple(dates), later(pool, short_put_baseline, (market, list(dates), cash),
                                               {"reserve": reserve}))

