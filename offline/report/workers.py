"""Worker processes for the slow parts of a run's outputs: the report's charts and the short put baseline.

Most of the outputs' time is matplotlib (its import, then drawing and encoding each chart) and the
modelled short put; the charts are independent of each other and the baseline needs only the market
data and the run's sessions. `output_pool` starts two worker processes that import matplotlib as they
start; the backtest command starts them before the replay, so that the import and the baseline
(`start_short_put`) are done on the second core while the replay runs, and the charts are then drawn
two at a time while this process writes the other files. The results are the same bytes as in one
process: the same functions run on the same (pickled) arguments.

Workers ignore Ctrl-C (the main process decides what a Ctrl-C does); leaving the pool's `with` block
drops the jobs not started, waits for those running (a chart takes about a second, the baseline a few)
and ends the workers. A worker that dies (killed, out of memory) is an error for whoever waits on its
result, never a wait for ever. On a machine whose cores are all busy the workers' CPU time (the
same as in one process, plus a second matplotlib import) lengthens the replay instead:
`tomking backtest --chart-workers 0` does everything in the main process.
"""
from __future__ import annotations

import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

WORKERS = 2


def _start_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import matplotlib.backends.backend_agg  # the charts' import, done while the replay runs
    import matplotlib.figure  # noqa: F401


def _ready() -> None:
    """A first job: makes a worker start (and import matplotlib) before any chart is asked for."""


@contextmanager
def output_pool(workers: int = WORKERS) -> Iterator[ProcessPoolExecutor | None]:
    """`workers` processes ready to draw charts, ended when the block is left; None when `workers` is 0
    (everything is then done in this process, with the same results). ValueError if negative."""
    if workers < 0:
        raise ValueError(f"--chart-workers must be 0 or more, got {workers}")
    if workers == 0:
        yield None
        return
    pool = ProcessPoolExecutor(workers, initializer=_start_worker)
    try:
        for _ in range(workers):
            pool.submit(_ready)
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def later(pool: ProcessPoolExecutor | None, function: Callable[..., Any], args: tuple[Any, ...],
          kwargs: dict[str, Any] | None = None) -> Callable[[], Any]:
    """function(*args, **kwargs) started in a worker of `pool` (computed here and now when `pool` is
    None); calling what is returned waits for the value, raising the function's error if it failed
    and RuntimeError if its worker died."""
    if pool is None:
        value = function(*args, **(kwargs or {}))
        return lambda: value
    pending = pool.submit(function, *args, **(kwargs or {}))

    def wait() -> Any:
        try:
            return pending.result()
        except BrokenProcessPool:
            raise RuntimeError(f"an output worker died computing {function.__name__} (killed? out of memory?); "
                               "run again with --chart-workers 0 to do everything in one process") from None
    return wait


@dataclass(frozen=True)
class PendingBaseline:
    """The short put baseline asked for over `dates` (the sessions of the run); `value()` waits for it."""

    dates: tuple[date, ...]
    value: Callable[[], np.ndarray]


def start_short_put(pool: ProcessPoolExecutor | None, market: Any, dates: Sequence[date], cash: float,
                    reserve: float) -> PendingBaseline | None:
    """offline.report.baselines.short_put_baseline(market, dates, cash, reserve=reserve), started in
    `pool`; None without a pool (the outputs then compute it when they need it)."""
    if pool is None:
        return None
    from offline.report.baselines import short_put_baseline

    return PendingBaseline(tuple(dates), later(pool, short_put_baseline, (market, list(dates), cash),
                                               {"reserve": reserve}))

