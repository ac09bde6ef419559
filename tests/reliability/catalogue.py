"""The bad-input catalogue: each case feeds one bad input where it enters and checks the outcome.

A case names its boundary ("core": the trading core behind its ports and configuration; "offline
engine": data files, the simulated broker, the runner; "LEAN adapter": what LEAN hands the
adapter), the input, the expected outcome and a check (tests/reliability/case.py). test_catalogue.py
runs each case as its own test; `python -m tests.reliability.catalogue [--boundary NAME]` prints the
table of every case and exits non-zero when one fails.

Extension point: `register_cases(provider)` adds a function returning more cases (the LEAN
adapter's, for example); providers run in registration order after the built-in ones.
"""
from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from tests.reliability.case import BOUNDARIES, CaseContext, ReliabilityCase, format_table, run_case
from tests.reliability.core_cases import core_cases
from tests.reliability.engine_cases import engine_cases

CaseProvider = Callable[[], list[ReliabilityCase]]
_EXTRA_PROVIDERS: list[CaseProvider] = []


def register_cases(provider: CaseProvider) -> CaseProvider:
    """Add a provider of cases to the catalogue (usable as a decorator); returns it."""
    _EXTRA_PROVIDERS.append(provider)
    return provider


def catalogue() -> list[ReliabilityCase]:
    """Every case: the core's, the offline engine's, then the registered providers'.

    Raises:
        ValueError: two cases share a name.
    """
    cases = [*core_cases(), *engine_cases()]
    for provider in _EXTRA_PROVIDERS:
        cases.extend(provider())
    names = [case.name for case in cases]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(f"reliability cases with the same name: {duplicated}")
    return cases


def main(argv: Sequence[str] | None = None) -> int:
    """Print the table of the cases (all, or one boundary's); 1 when a case fails, else 0."""
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.catalogue",
                                     description="run the bad-input catalogue and print its table")
    parser.add_argument("--boundary", choices=BOUNDARIES, help="run only the cases of this boundary")
    args = parser.parse_args(argv)
    cases = [case for case in catalogue() if args.boundary in (None, case.boundary)]
    with tempfile.TemporaryDirectory(prefix="tomking-reliability-") as folder:
        context = CaseContext(Path(folder))
        results = [run_case(case, context) for case in cases]
    print(format_table(results))
    return 0 if all(result.passed for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
