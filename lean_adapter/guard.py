"""Running a core call from a LEAN event without losing a live algorithm to one bug.

Kept out of main.py on purpose: there, `Exception` is rebound after `from AlgorithmImports
import *`; here it is plainly Python's.
"""
from __future__ import annotations

from collections.abc import Callable


def run_guarded(call: Callable[[], object], live_mode: bool, report: Callable[[str], None]) -> bool:
    """Run `call`; returns True when it completed.

    Live, an exception is reported through `report` (journal and notification) and the algorithm
    keeps managing its positions. In a backtest it propagates and stops the run, so a bug is seen
    rather than averaged into the results.
    """
    try:
        call()
    except Exception as error:
        if not live_mode:
            raise
        report(f"{type(error).__name__} in the trading core: {error}")
        return False
    return True
