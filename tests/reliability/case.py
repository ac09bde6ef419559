"""One bad-input case: where the input enters (its boundary), the input, the expected outcome and a
`check` that runs it and returns the observed outcome, raising CaseFailed when the outcome is not the
expected one; running a case and the Markdown table of results. The cases themselves are in
core_cases.py and engine_cases.py, assembled by catalogue.py."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BOUNDARIES = ("core", "offline engine", "LEAN adapter")


class CaseFailed(AssertionError):
    """The observed outcome of a case is not the expected one (the message says what was seen)."""


@dataclass
class CaseContext:
    """Resources shared by the cases of one catalogue run: a scratch folder and, made on first
    use, a small SYNTHETIC market folder (offline/market/sample_market.py) to corrupt copies of."""

    scratch: Path
    _market: Path | None = field(default=None, repr=False)

    def sample_market(self) -> Path:
        """The synthetic market of SAMPLE_WINDOW (written once per run)."""
        if self._market is None:
            from offline.market.sample_market import write_sample_market

            self._market = write_sample_market(self.scratch / "sample_market", *SAMPLE_WINDOW)
        return self._market


SAMPLE_WINDOW = ("2024-10-21", "2024-12-20")  # a DST change, a holiday and a half day inside


@dataclass(frozen=True)
class ReliabilityCase:
    """One bad input at one boundary. `check(context)` returns the observed outcome (one line)
    and raises CaseFailed when it differs from `expected`."""

    name: str
    boundary: str
    input: str
    expected: str
    check: Callable[[CaseContext], str]

    def __post_init__(self) -> None:
        if self.boundary not in BOUNDARIES:
            raise ValueError(f"case {self.name!r}: boundary {self.boundary!r} is not one of {BOUNDARIES}")


@dataclass(frozen=True)
class CaseResult:
    """What running a case gave: passed or not, and the observed outcome (or the failure)."""

    case: ReliabilityCase
    passed: bool
    observed: str


def run_case(case: ReliabilityCase, context: CaseContext) -> CaseResult:
    """Run one case. A CaseFailed is a failed case; any other exception is a crash, which is a
    failed case too (recorded with its type and message, never hidden)."""
    try:
        return CaseResult(case, True, case.check(context))
    except CaseFailed as failure:
        return CaseResult(case, False, f"FAILED: {failure}")
    except Exception as error:  # noqa: BLE001 - a crash is the outcome this case reports
        return CaseResult(case, False, f"CRASHED: {type(error).__name__}: {error}")


def format_table(results: list[CaseResult]) -> str:
    """A Markdown table of the cases tried and their outcomes, with a count line."""
    def cell(text: str) -> str:
        return text.replace("|", "/").replace("\n", " ")

    lines = ["| # | boundary | case | input | expected | observed | result |", "|---|---|---|---|---|---|---|"]
    for number, result in enumerate(results, 1):
        case = result.case
        lines.append(f"| {number} | {case.boundary} | {cell(case.name)} | {cell(case.input)} | {cell(case.expected)} "
                     f"| {cell(result.observed)} | {'pass' if result.passed else 'FAIL'} |")
    failed = sum(not result.passed for result in results)
    by_boundary = {b: sum(r.case.boundary == b for r in results) for b in BOUNDARIES}
    counts = ", ".join(f"{count} {boundary}" for boundary, count in by_boundary.items() if count)
    lines.append("")
    lines.append(f"{len(results)} cases ({counts}): {len(results) - failed} passed, {failed} failed")
    return "\n".join(lines)


def expect(condition: bool, message: str) -> None:
    """Raise CaseFailed(message) unless `condition` holds (cases use it for their checks)."""
    if not condition:
        raise CaseFailed(message)
